package geo

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
)

// Constants of the British National Grid: Airy 1830 ellipsoid, Transverse Mercator with true origin
// 49°N 2°W, scale 0.9996012717, false origin 400 km west and 100 km north of it.
const (
	airyA   = 6377563.396
	airyInf = 299.3249646 // inverse flattening, as in EPSG:7001
	bngK0   = 0.9996012717
	bngE0   = 400000.0
	bngN0   = -100000.0
	bngLat0 = 49 * math.Pi / 180
	bngLon0 = -2 * math.Pi / 180

	wgsA   = 6378137.0
	wgsInf = 298.257223563

	arcsec = math.Pi / (180 * 3600)
)

// OSGB36 → WGS84 Helmert, "OSGB36 to WGS 84 (6)" (EPSG:1314), position-vector convention, as PROJ and
// GDAL apply it when OSTN15 is not installed.
const (
	helTX = 446.448
	helTY = -125.157
	helTZ = 542.06
	helRX = 0.150 * arcsec
	helRY = 0.247 * arcsec
	helRZ = 0.842 * arcsec
	helS  = -20.489e-6
)

// The extent of the grid: BNG coordinates outside it are not British.
const (
	bngMinE, bngMaxE = 0.0, 700000.0
	bngMinN, bngMaxN = 0.0, 1300000.0
)

// tmInverse holds the Krüger series of the inverse Transverse Mercator (Karney 2011, to n⁴, which is
// far below a millimetre on the Airy ellipsoid).
type tmInverse struct {
	a1     float64 // k0 times the rectifying radius
	ia1    float64 // 1/a1
	wgsAB  float64 // a/b of WGS84
	xi0    float64 // ξ of the true origin
	beta   [4]float64
	delta  [4]float64 // conformal → geodetic latitude
	airyE2 float64
	wgsE2  float64
	wgsEp2 float64
	wgsB   float64
}

var bng = newTMInverse()

func newTMInverse() tmInverse {
	f := 1 / airyInf
	n := f / (2 - f)
	n2, n3, n4 := n*n, n*n*n, n*n*n*n
	var t tmInverse
	t.a1 = bngK0 * airyA / (1 + n) * (1 + n2/4 + n4/64)
	t.ia1 = 1 / t.a1
	t.beta = [4]float64{
		n/2 - 2*n2/3 + 37*n3/96 - n4/360,
		n2/48 + n3/15 - 437*n4/1440,
		17*n3/480 - 37*n4/840,
		4397 * n4 / 161280,
	}
	t.delta = [4]float64{
		2*n - 2*n2/3 - 2*n3 + 116*n4/45,
		7*n2/3 - 8*n3/5 - 227*n4/45,
		56*n3/15 - 136*n4/35,
		4279 * n4 / 630,
	}
	alpha := [4]float64{
		n/2 - 2*n2/3 + 5*n3/16 + 41*n4/180,
		13*n2/48 - 3*n3/5 + 557*n4/1440,
		61*n3/240 - 103*n4/140,
		49561 * n4 / 161280,
	}
	t.airyE2 = f * (2 - f)
	e := math.Sqrt(t.airyE2)
	// Conformal latitude of the origin, then its ξ (on the central meridian η = 0).
	chi0 := math.Atan(math.Sinh(math.Asinh(math.Tan(bngLat0)) - e*math.Atanh(e*math.Sin(bngLat0))))
	t.xi0 = chi0
	for j := range alpha {
		t.xi0 += alpha[j] * math.Sin(2*float64(j+1)*chi0)
	}
	fw := 1 / wgsInf
	t.wgsE2 = fw * (2 - fw)
	t.wgsB = wgsA * (1 - fw)
	t.wgsEp2 = t.wgsE2 / (1 - t.wgsE2)
	t.wgsAB = wgsA / t.wgsB
	return t
}

// osgb36 returns the sine and cosine of the OSGB36 latitude and longitude of grid point (e, n).
// It is closed form: Krüger's series, then the conformal → geodetic latitude series. It makes one
// Sincos and one Exp call: on the grid ξ′ and η′ differ from ξ and η by under 10⁻³ rad, and φ from χ
// by under 4·10⁻³ rad, so their sines, cosines and exponentials follow by the addition formulas and
// Taylor series that are exact to double precision for such small angles.
func (t *tmInverse) osgb36(e, n float64) (sinPhi, cosPhi, sinLam, cosLam float64) {
	xi := (n-bngN0)*t.ia1 + t.xi0
	eta := (e - bngE0) * t.ia1

	sx, cx := math.Sincos(xi)
	ex := math.Exp(eta)
	iex := 1 / ex
	s1, c1 := 2*sx*cx, cx*cx-sx*sx
	e2 := ex * ex
	ie2 := iex * iex
	sh1, ch1 := (e2-ie2)/2, (e2+ie2)/2
	// Multiple angles by the addition formulas.
	s2, c2 := 2*s1*c1, c1*c1-s1*s1
	sh2, ch2 := 2*sh1*ch1, ch1*ch1+sh1*sh1
	s3, c3 := s2*c1+c2*s1, c2*c1-s2*s1
	sh3, ch3 := sh2*ch1+ch2*sh1, ch2*ch1+sh2*sh1
	s4, c4 := 2*s2*c2, c2*c2-s2*s2
	sh4, ch4 := 2*sh2*ch2, ch2*ch2+sh2*sh2
	b := &t.beta
	dxi := b[0]*s1*ch1 + b[1]*s2*ch2 + b[2]*s3*ch3 + b[3]*s4*ch4  // ξ − ξ′, under 10⁻³
	deta := b[0]*c1*sh1 + b[1]*c2*sh2 + b[2]*c3*sh3 + b[3]*c4*sh4 // η − η′, under 10⁻³

	// sin ξ′, cos ξ′ and e^η′ from sin ξ, cos ξ and e^η.
	sd, cd := smallSinCos(dxi)
	sxp, cxp := sx*cd-cx*sd, cx*cd+sx*sd
	ep := ex * smallExp(-deta)
	iep := 1 / ep
	shp, chp := (ep-iep)/2, (ep+iep)/2

	// Conformal latitude χ and longitude from the central meridian, as sines and cosines.
	sChi := sxp / chp
	cChi := math.Sqrt(math.Max(0, 1-sChi*sChi))
	ir := 1 / math.Sqrt(shp*shp+cxp*cxp)
	sDl, cDl := shp*ir, cxp*ir

	// φ = χ + Σ δj sin 2jχ; then sin φ, cos φ by adding the small angle d to χ.
	q1, k1 := 2*sChi*cChi, cChi*cChi-sChi*sChi
	q2, k2 := 2*q1*k1, k1*k1-q1*q1
	q3 := q2*k1 + k2*q1
	q4 := 2 * q2 * k2
	d := t.delta[0]*q1 + t.delta[1]*q2 + t.delta[2]*q3 + t.delta[3]*q4
	sdp, cdp := smallSinCos(d)
	sinPhi = sChi*cdp + cChi*sdp
	cosPhi = cChi*cdp - sChi*sdp

	sinLam = sDl*cosLon0 + cDl*sinLon0
	cosLam = cDl*cosLon0 - sDl*sinLon0
	return
}

// smallSinCos is sin and cos of |d| < 0.01 rad by Taylor series, exact to double precision there.
func smallSinCos(d float64) (float64, float64) {
	const i6, i20, i42, i12, i30 = 1.0 / 6, 1.0 / 20, 1.0 / 42, 1.0 / 12, 1.0 / 30 // multiply: divisions are slow
	d2 := d * d
	return d * (1 - d2*i6*(1-d2*i20*(1-d2*i42))), 1 - d2*0.5*(1-d2*i12*(1-d2*i30))
}

// smallExp is e^x for |x| < 0.01 by Taylor series, exact to double precision there.
func smallExp(x float64) float64 {
	const i3, i5, i6 = 1.0 / 3, 1.0 / 5, 1.0 / 6
	return 1 + x*(1+x*0.5*(1+x*i3*(1+x*0.25*(1+x*i5*(1+x*i6)))))
}

var sinLon0, cosLon0 = math.Sincos(bngLon0)

// BNGToWGS84 converts a British National Grid (EPSG:27700) easting/northing to WGS84 longitude/latitude.
//
// It inverts the Transverse Mercator projection on the Airy 1830 ellipsoid in closed form (Krüger's
// series, sub-millimetre), then applies the 7-parameter Helmert transformation "OSGB36 to WGS 84 (6)"
// (EPSG:1314) through geocentric cartesian coordinates. That Helmert is good to a few metres: typically
// 2–5 m from the OSTN15 grid that defines the relationship officially. It is the transformation PROJ and
// GDAL apply when the OSTN15 grid is not installed, which is how the BNG files of the national data were
// made, so it reproduces them to about a millimetre. It does no iteration: one Sincos, one Exp, two
// Atan2 and a few square roots, under 0.2 µs a point. It is meant for points of the grid (0–700 km
// east, 0–1300 km north); the readers reject others before converting.
func BNGToWGS84(p orb.Point) orb.Point {
	sp, cp, sl, cl := bng.osgb36(p[0], p[1])
	return helmertToWGS84(sp, cp, sl, cl)
}

func helmertToWGS84(sp, cp, sl, cl float64) orb.Point {
	t := &bng
	nu := airyA / math.Sqrt(1-t.airyE2*sp*sp)
	x := nu * cp * cl
	y := nu * cp * sl
	z := nu * (1 - t.airyE2) * sp

	const k = 1 + helS
	x2 := helTX + k*(x-helRZ*y+helRY*z)
	y2 := helTY + k*(helRZ*x+y-helRX*z)
	z2 := helTZ + k*(-helRY*x+helRX*y+z)

	// Bowring's closed form on WGS84: error far below a millimetre near the surface.
	pp := math.Sqrt(x2*x2 + y2*y2)
	tt := z2 * t.wgsAB / pp
	cth := 1 / math.Sqrt(1+tt*tt)
	sth := tt * cth
	lat := math.Atan2(z2+t.wgsEp2*t.wgsB*sth*sth*sth, pp-t.wgsE2*wgsA*cth*cth*cth)
	lon := math.Atan2(y2, x2)
	return orb.Point{lon * 180 / math.Pi, lat * 180 / math.Pi}
}

// crsFromName reads the name of a GeoJSON "crs" member or of an authority code ("EPSG:27700",
// "urn:ogc:def:crs:EPSG::27700", "urn:ogc:def:crs:OGC:1.3:CRS84", "http://www.opengis.net/def/crs/EPSG/0/4326").
func crsFromName(name string) CRS {
	s := strings.ToLower(strings.TrimSpace(name))
	if s == "" {
		return CRSUnknown
	}
	if strings.HasSuffix(s, "crs84") || s == "wgs84" || s == "wgs 84" {
		return CRSWGS84
	}
	if !strings.Contains(s, "epsg") {
		return CRSUnknown
	}
	// The code is the last field, whatever the separators.
	i := strings.LastIndexAny(s, ":/")
	code, err := strconv.Atoi(s[i+1:])
	if err != nil {
		return CRSUnknown
	}
	return crsFromEPSG(code)
}

func crsFromEPSG(code int) CRS {
	switch code {
	case 4326:
		return CRSWGS84
	case 27700:
		return CRSBNG
	}
	return CRSUnknown
}

// crsFromWKT reads a WKT 1 (ESRI .prj, OGC) or WKT 2 definition. A projected CRS must be the British
// National Grid; a geographic one must be WGS 84.
func crsFromWKT(wkt string) CRS {
	s := strings.ToUpper(strings.TrimSpace(wkt))
	s = strings.TrimPrefix(s, "\ufeff")
	head := s
	if i := strings.IndexByte(s, '['); i >= 0 {
		head = strings.TrimSpace(s[:i])
	} else {
		return crsFromName(wkt)
	}
	norm := strings.NewReplacer("_", "", "\"", "", " ", "", "\t", "", "\n", "", "\r", "").Replace(s)
	switch head {
	case "PROJCS", "PROJCRS", "PROJECTEDCRS":
		// The top-level authority is the last one in WKT 1 and WKT 2.
		if code, ok := topEPSG(norm); ok {
			return crsFromEPSG(code)
		}
		if strings.Contains(norm, "BRITISHNATIONALGRID") ||
			(strings.Contains(norm, "OSGB") && strings.Contains(norm, "TRANSVERSEMERCATOR") && strings.Contains(norm, "0.9996012717")) {
			return CRSBNG
		}
	case "GEOGCS", "GEOGCRS", "GEOGRAPHICCRS", "GEODCRS", "GEODETICCRS":
		if code, ok := topEPSG(norm); ok {
			return crsFromEPSG(code)
		}
		if strings.Contains(norm, "WGS1984") || strings.Contains(norm, "WGS84") || strings.Contains(norm, "WORLDGEODETICSYSTEM1984") {
			return CRSWGS84
		}
	}
	return CRSUnknown
}

// topEPSG finds the EPSG code of the CRS itself in a normalised WKT: the AUTHORITY["EPSG","n"] (WKT 1) or
// ID["EPSG",n] (WKT 2) directly inside the outer brackets, not the codes of its datum, units or base CRS.
func topEPSG(norm string) (int, bool) {
	depth := 0
	for i := 0; i < len(norm); i++ {
		switch norm[i] {
		case '[':
			depth++
			continue
		case ']':
			depth--
			continue
		}
		if depth != 1 || (i > 0 && norm[i-1] != ',' && norm[i-1] != '[') {
			continue
		}
		rest := norm[i:]
		for _, key := range []string{"AUTHORITY[EPSG,", "ID[EPSG,"} {
			if !strings.HasPrefix(rest, key) {
				continue
			}
			rest = rest[len(key):]
			j := strings.IndexAny(rest, "],")
			if j < 0 {
				return 0, false
			}
			code, err := strconv.Atoi(rest[:j])
			return code, err == nil
		}
	}
	return 0, false
}

func inRange(p orb.Point, crs CRS) bool {
	switch crs {
	case CRSWGS84:
		return p[0] >= -180 && p[0] <= 180 && p[1] >= -90 && p[1] <= 90
	case CRSBNG:
		return p[0] >= bngMinE && p[0] <= bngMaxE && p[1] >= bngMinN && p[1] <= bngMaxN
	}
	return false
}

func rangeErr(p orb.Point, crs CRS) error {
	switch crs {
	case CRSWGS84:
		hint := ""
		if math.Abs(p[0]) > 1000 || math.Abs(p[1]) > 1000 {
			hint = " (projected metres in a file read as WGS84: British National Grid without a crs member?)"
		}
		return fmt.Errorf("%w: (%g, %g) is not a WGS84 longitude/latitude%s", ErrCoordinates, p[0], p[1], hint)
	case CRSBNG:
		hint := ""
		if math.Abs(p[0]) <= 180 && math.Abs(p[1]) <= 90 {
			hint = " (longitude/latitude in a file declared as EPSG:27700?)"
		}
		return fmt.Errorf("%w: (%g, %g) is outside the British National Grid%s", ErrCoordinates, p[0], p[1], hint)
	}
	return fmt.Errorf("%w: %v", ErrCRS, crs)
}
