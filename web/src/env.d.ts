declare module '*.css';

/** The URL of MapLibre's worker script, relative to the page (defined by build.mjs). */
declare const MAPLIBRE_WORKER: string;
