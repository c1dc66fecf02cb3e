use crate::RouteError;

/// Mean Earth radius (IUGG), metres.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// A validated latitude/longitude in decimal degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatLon {
    lat: f64,
    lon: f64,
}

impl LatLon {
    /// Latitude in [-90, 90], longitude in [-180, 180], both finite.
    pub fn new(lat: f64, lon: f64) -> Result<Self, RouteError> {
        if lat.is_finite() && lon.is_finite() && lat.abs() <= 90.0 && lon.abs() <= 180.0 {
            Ok(Self { lat, lon })
        } else {
            Err(RouteError::InvalidCoordinate { lat, lon })
        }
    }

    pub fn lat(self) -> f64 {
        self.lat
    }

    pub fn lon(self) -> f64 {
        self.lon
    }

    /// Great-circle (haversine) distance in whole metres. Works across the
    /// antimeridian because only sines of the differences are used.
    pub fn distance_m(self, other: LatLon) -> u64 {
        let (la1, lo1) = (self.lat.to_radians(), self.lon.to_radians());
        let (la2, lo2) = (other.lat.to_radians(), other.lon.to_radians());
        let s_lat = ((la2 - la1) / 2.0).sin();
        let s_lon = ((lo2 - lo1) / 2.0).sin();
        // Grouped as the benchmark's reference formula, so rounding matches it.
        let h = s_lat * s_lat + la1.cos() * la2.cos() * (s_lon * s_lon);
        let d = 2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin();
        // nint, as the benchmark metric; d is never negative.
        (d + 0.5).floor() as u64
    }
}
