#!/bin/sh
# Regenerates the test extracts of package geo from the national files (see ../../../shared/data/README.md).
# Run from anywhere: it works relative to its own directory. Needs GDAL's ogr2ogr and zip.
#
# trafford-msoa.geojson       the 28 Trafford MSOAs (E02001259–E02001286), WGS84, as in the national GeoJSON
# trafford-msoa-bng.gpkg      the same, British National Grid, from the national GeoPackage
# trafford-msoa-bng-shp.zip   the same, British National Grid, from the national shapefile
# tiny-bng.{shp,shx,dbf,prj}  3 of them simplified to 300 m, small seeds for FuzzReadShapefile
# tiny.gpkg                   the same as a GeoPackage, seeds for FuzzGPKGHeader
# tiny.geojson                the same in WGS84 as GeoJSON, a seed for FuzzReadGeoJSON
# lake-bng.{shp,shx,dbf,prj,cpg}  lake-bng.geojson (hand-written: an island in a lake, a bow-tie) as a shapefile
set -eu
cd "$(dirname "$0")"
DATA=../../../shared/data
WHERE="MSOA11CD >= 'E02001259' AND MSOA11CD <= 'E02001286'"
TINY="MSOA11CD IN ('E02001259', 'E02001262', 'E02001286')"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

rm -f trafford-msoa.geojson trafford-msoa-bng.gpkg trafford-msoa-bng-shp.zip tiny-bng.* tiny.gpkg tiny.geojson lake-bng.s* lake-bng.dbf lake-bng.prj lake-bng.cpg

ogr2ogr -f GeoJSON trafford-msoa.geojson \
	"/vsigzip/$DATA/msoa2011-england-generalised-clipped.geojson.gz" -where "$WHERE"

gunzip -c "$DATA/msoa2011-england-bng.gpkg.gz" > "$tmp/msoa.gpkg"
ogr2ogr -f GPKG trafford-msoa-bng.gpkg "$tmp/msoa.gpkg" -where "$WHERE" -nln trafford_msoa

ogr2ogr -f "ESRI Shapefile" "$tmp/trafford_msoa_bng.shp" \
	"/vsizip/$DATA/msoa2011-england-bng-shp.zip/msoa2011_england_bng.shp" -where "$WHERE"
(cd "$tmp" && zip -q -X trafford-msoa-bng-shp.zip trafford_msoa_bng.shp trafford_msoa_bng.shx trafford_msoa_bng.dbf trafford_msoa_bng.prj)
mv "$tmp/trafford-msoa-bng-shp.zip" .

ogr2ogr -f "ESRI Shapefile" tiny-bng.shp trafford-msoa-bng.gpkg -where "$TINY" -simplify 300
rm -f tiny-bng.cpg
ogr2ogr -f GPKG tiny.gpkg trafford-msoa-bng.gpkg -where "$TINY" -simplify 300 -nln tiny
ogr2ogr -f GeoJSON tiny.geojson trafford-msoa.geojson -where "$TINY" -simplify 0.003 -lco COORDINATE_PRECISION=6
ogr2ogr -f "ESRI Shapefile" lake-bng.shp lake-bng.geojson -lco ENCODING=UTF-8
# Two LSOA 2021 population-weighted centroids as ONS ships them (a points Shapefile in BNG), for
# the points reader's tests and fuzz seed.
ogr2ogr -f "ESRI Shapefile" tiny-points-bng.shp "$DATA/2021/lsoa21-pwc-v3-shp/LSOA_PopCentroids_EW_2021_V3.shp" \
  -where "LSOA21CD IN ('E01000001','E01014360')"
