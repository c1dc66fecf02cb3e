//! Preferred windows ("the buyer likes Tuesday mornings"): kept when the day allows,
//! given up before a visit is.

use rounds_route::{End, TimedOptions, Window, fit_windows_preferring};

use crate::rest::uniform;

#[test]
fn a_preferred_window_is_kept_when_it_can_be_and_given_up_before_a_visit_is() {
    let p = uniform(
        100,
        &[(0, (0, 10_000)), (100, (0, 10_000)), (100, (0, 10_000))],
        End::Start,
    );
    let opts = TimedOptions::default();
    // Stop 1 prefers 500-600: it is visited then, though the day could start with it.
    let (day, _) = fit_windows_preferring(
        &p,
        &[None, Some(Window::new(500, 600)), None],
        None,
        &[0, 1, 1],
        &opts,
    )
    .unwrap();
    let begin = |d: &rounds_route::TimedDay, s: usize| {
        d.schedule
            .visits
            .iter()
            .find(|v| v.stop == s)
            .map(|v| v.begin)
    };
    assert!((500..=600).contains(&begin(&day, 1).unwrap()), "{day:?}");
    // Both prefer to start at exactly 300; one visit lasts 100: the other is still made,
    // outside its preference, rather than left out.
    let both = [
        None,
        Some(Window::new(300, 300)),
        Some(Window::new(300, 300)),
    ];
    let (day, _) = fit_windows_preferring(&p, &both, None, &[0, 1, 1], &opts).unwrap();
    assert!(day.dropped.is_empty(), "{:?}", day.dropped);
    assert!(day.schedule.is_feasible());
    let at_300 = [1, 2]
        .iter()
        .filter(|&&s| begin(&day, s) == Some(300))
        .count();
    assert_eq!(at_300, 1, "{day:?}");
    // A preference outside the stop's own window means nothing.
    let tight = uniform(100, &[(0, (0, 10_000)), (100, (200, 300))], End::Start);
    let (day, _) = fit_windows_preferring(
        &tight,
        &[None, Some(Window::new(900, 950))],
        None,
        &[0, 1],
        &opts,
    )
    .unwrap();
    assert!((200..=300).contains(&begin(&day, 1).unwrap()));
    assert!(fit_windows_preferring(&tight, &[None], None, &[0, 1], &opts).is_err());
}
