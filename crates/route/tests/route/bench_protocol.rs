//! `route-bench` answers a time-window instance in the benchmark's JSON
//! protocol: instance on stdin, `{"order": [...]}` on stdout.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

#[test]
fn route_bench_answers_a_time_window_instance_with_a_feasible_order() {
    // Four stops around a depot; 3 only opens late, 1 closes early, so the
    // shortest tour (0 1 2 3 4 or its reverse) is not simply the nearest.
    let matrix = vec![
        vec![0, 5, 9, 9, 5],
        vec![5, 0, 5, 9, 9],
        vec![9, 5, 0, 5, 9],
        vec![9, 9, 5, 0, 5],
        vec![5, 9, 9, 5, 0],
    ];
    let service = vec![0, 2, 2, 2, 2];
    let windows = vec![[0, 100], [0, 10], [0, 100], [40, 60], [0, 100]];
    let instance = json!({
        "name": "tiny", "n": 5, "matrix": matrix, "service": service,
        "windows": windows, "start": 0, "end": 0, "time_limit_ms": 1000,
    });
    let mut child = Command::new(env!("CARGO_BIN_EXE_route-bench"))
        .args(["--kicks", "50"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("route-bench starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(instance.to_string().as_bytes())
        .expect("instance written");
    let out = child.wait_with_output().expect("route-bench ends");
    assert!(out.status.success());
    let answer: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    let order: Vec<usize> = answer["order"]
        .as_array()
        .expect("an order")
        .iter()
        .map(|v| v.as_u64().expect("an index") as usize)
        .collect();
    assert_eq!(order[0], 0);
    let mut sorted = order.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, vec![0, 1, 2, 3, 4]);

    // Re-check the schedule by the protocol's rules.
    let mut t = 0;
    let mut travel = 0;
    for w in order.windows(2) {
        let (i, j) = (w[0], w[1]);
        travel += matrix[i][j];
        t = (t + service[i] + matrix[i][j]).max(windows[j][0]);
        assert!(
            t <= windows[j][1],
            "stop {j} starts at {t}, after {}",
            windows[j][1]
        );
    }
    let last = order[4];
    travel += matrix[last][0];
    assert!(t + service[last] + matrix[last][0] <= windows[0][1]);
    // 0 1 2 3 4 0: 5 legs of 5; 3 is reached at 21 and waits until 40.
    assert_eq!(travel, 25);
    assert_eq!(order, vec![0, 1, 2, 3, 4]);
}
