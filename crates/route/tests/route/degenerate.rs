use rounds_route::{
    DistanceMatrix, End, LatLon, Options, Problem, RouteError, Stops, route_length, solve,
};

fn ll(lat: f64, lon: f64) -> LatLon {
    LatLon::new(lat, lon).expect("valid test coordinate")
}

#[test]
fn zero_stops_is_an_error_not_a_panic() {
    let err = Problem::new(Stops::LatLon(vec![]), 0, End::Start).unwrap_err();
    assert_eq!(err, RouteError::NoStops);
}

#[test]
fn one_stop_gives_a_route_of_length_zero() {
    for end in [End::Start, End::Free, End::Stop(0)] {
        let p = Problem::new(Stops::LatLon(vec![ll(10.0, 10.0)]), 0, end).unwrap();
        let r = solve(&p, &Options::default()).unwrap();
        assert_eq!(r.order, vec![0]);
        assert_eq!(r.total_m, 0);
    }
}

#[test]
fn two_stops_in_every_shape() {
    let stops = Stops::LatLon(vec![ll(0.0, 0.0), ll(0.0, 1.0)]);
    let one_way = stops.distance(0, 1);
    for (start, end, total) in [
        (0, End::Start, 2 * one_way),
        (1, End::Start, 2 * one_way),
        (0, End::Free, one_way),
        (1, End::Stop(0), one_way),
    ] {
        let p = Problem::new(stops.clone(), start, end).unwrap();
        let r = solve(&p, &Options::default()).unwrap();
        assert_eq!(r.order[0], start);
        assert_eq!(r.order.len(), 2);
        assert_eq!(r.total_m, total, "start {start}, end {end:?}");
    }
}

#[test]
fn all_stops_on_one_point_cost_nothing() {
    let stops = Stops::LatLon(vec![ll(51.5, -0.1); 40]);
    for end in [End::Start, End::Free, End::Stop(39)] {
        let r = solve(
            &Problem::new(stops.clone(), 3, end).unwrap(),
            &Options::default(),
        )
        .unwrap();
        assert_eq!(r.total_m, 0);
        assert_eq!(r.order.len(), 40);
        assert_eq!(r.order[0], 3);
    }
}

#[test]
fn duplicate_coordinates_are_visited_once_each() {
    let mut pts = vec![ll(48.85, 2.35); 10];
    pts.extend((0..20).map(|i| ll(48.8 + f64::from(i) * 0.01, 2.3)));
    pts.extend(vec![ll(48.9, 2.4); 10]);
    let r = solve(
        &Problem::new(Stops::LatLon(pts), 0, End::Start).unwrap(),
        &Options::default(),
    )
    .unwrap();
    let mut seen = r.order.clone();
    seen.sort_unstable();
    assert_eq!(seen, (0..40).collect::<Vec<_>>());
}

#[test]
fn points_across_the_antimeridian_are_close_not_a_world_apart() {
    // Fiji-like islands either side of 180°: the route must stay local.
    let pts: Vec<LatLon> = (0..30)
        .map(|i| {
            let lon = if i % 2 == 0 {
                179.5 + f64::from(i) * 0.01
            } else {
                -179.5 - f64::from(i) * 0.01
            };
            ll(-17.0 + f64::from(i) * 0.02, lon)
        })
        .collect();
    let stops = Stops::LatLon(pts);
    let r = solve(
        &Problem::new(stops.clone(), 0, End::Start).unwrap(),
        &Options::default(),
    )
    .unwrap();
    assert!(
        r.total_m < 500_000,
        "a 1°-wide cluster needs well under 500 km, got {}",
        r.total_m
    );
    assert_eq!(r.total_m, route_length(&stops, &r.order, End::Start));
}

#[test]
fn bad_input_is_reported_as_typed_errors() {
    assert!(matches!(
        LatLon::new(91.0, 0.0),
        Err(RouteError::InvalidCoordinate { .. })
    ));
    assert!(matches!(
        LatLon::new(0.0, f64::NAN),
        Err(RouteError::InvalidCoordinate { .. })
    ));
    assert!(matches!(
        DistanceMatrix::from_rows(&[vec![0, 1], vec![1]]),
        Err(RouteError::MatrixNotSquare { row: 1, .. })
    ));
    assert!(matches!(
        DistanceMatrix::from_rows(&[vec![0, 1], vec![2, 0]]),
        Err(RouteError::MatrixNotSymmetric { .. })
    ));
    assert!(matches!(
        DistanceMatrix::from_rows(&[vec![5]]),
        Err(RouteError::MatrixNonZeroDiagonal(0))
    ));
    let stops = Stops::LatLon(vec![ll(0.0, 0.0)]);
    assert!(matches!(
        Problem::new(stops.clone(), 1, End::Start),
        Err(RouteError::StopOutOfRange { .. })
    ));
    assert!(matches!(
        Problem::new(stops.clone(), 0, End::Stop(4)),
        Err(RouteError::StopOutOfRange { .. })
    ));
    let p = Problem::new(stops, 0, End::Start).unwrap();
    let bad_speed = Options {
        average_speed_kmh: 0.0,
        ..Options::default()
    };
    assert!(matches!(
        solve(&p, &bad_speed),
        Err(RouteError::InvalidSpeed(_))
    ));
}

#[test]
fn drive_time_is_the_total_at_the_average_speed() {
    let stops = Stops::LatLon(vec![ll(0.0, 0.0), ll(0.0, 1.0)]);
    let opts = Options {
        average_speed_kmh: 36.0,
        ..Options::default()
    };
    let r = solve(&Problem::new(stops, 0, End::Free).unwrap(), &opts).unwrap();
    // 36 km/h is 10 m/s.
    let expected = r.total_m as f64 / 10.0;
    assert!((r.straight_line_drive_time.as_secs_f64() - expected).abs() < 1e-6);
}
