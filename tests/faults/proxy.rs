//! An in-process HTTP proxy between the devices and the server that misbehaves on
//! purpose: seeded, so a failing run replays exactly, and counting every fault it made.
//!
//! Faults that cut a connection answer with the upstream's headers and then a body that
//! fails, which is what a device sees when a link dies mid-answer: the request may or may
//! not have been applied, and the device cannot tell.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    /// The request never reaches the server.
    DropRequest,
    /// The server applies it; the answer is lost.
    DropResponse,
    /// Sent twice, one after the other; the device sees the second answer.
    Duplicate,
    /// Sent twice at once; the device sees one of the answers.
    DuplicateConcurrent,
    /// Held for a while, then sent.
    Delay(Duration),
    /// Held back: the device gets no answer, and the request reaches the server only
    /// after the next one has (an old batch arriving after a newer one).
    Reorder,
    /// The answer is cut in half.
    Truncate,
    /// 503 without reaching the server.
    Unavailable,
}

/// Which fault the next request gets.
#[derive(Debug)]
struct Plan {
    rng: SplitMix,
    /// Only requests whose path starts with this are touched.
    path: String,
    /// Faults to use first, in order.
    script: VecDeque<Fault>,
    /// Then each request gets one of these with its probability (or none).
    odds: Vec<(Fault, f64)>,
    /// Everything answers 503 (a server that is gone for good, as the device sees it).
    down: bool,
}

#[derive(Debug)]
struct Shared {
    upstream: String,
    http: reqwest::Client,
    plan: Mutex<Plan>,
    held: Mutex<Vec<Captured>>,
    made: Mutex<Vec<Fault>>,
    forwarded: Mutex<u64>,
}

#[derive(Debug, Clone)]
struct Captured {
    method: reqwest::Method,
    path_and_query: String,
    headers: HeaderMap,
    body: Bytes,
}

#[derive(Debug)]
pub struct Proxy {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Proxy {
    /// A proxy on 127.0.0.1:0 in front of `upstream` (e.g. `http://127.0.0.1:4000`),
    /// passing everything until told otherwise.
    pub async fn start(upstream: &str, seed: u64) -> Proxy {
        let shared = Arc::new(Shared {
            upstream: upstream.trim_end_matches('/').to_owned(),
            http: reqwest::Client::new(),
            plan: Mutex::new(Plan {
                rng: SplitMix(seed),
                path: "/".into(),
                script: VecDeque::new(),
                odds: Vec::new(),
                down: false,
            }),
            held: Mutex::new(Vec::new()),
            made: Mutex::new(Vec::new()),
            forwarded: Mutex::new(0),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(shared.clone());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
        });
        Proxy {
            addr,
            shared,
            stop: Some(stop),
        }
    }

    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Faults apply to paths starting with `prefix` only (e.g. `/sync/push`).
    pub fn only(&self, prefix: &str) {
        self.shared.plan.lock().unwrap().path = prefix.to_owned();
    }

    /// These faults first, one per request, in order.
    pub fn script(&self, faults: impl IntoIterator<Item = Fault>) {
        self.shared.plan.lock().unwrap().script.extend(faults);
    }

    /// Then each request gets `fault` with probability `p` (the odds add up; the rest
    /// pass untouched).
    pub fn odds(&self, odds: &[(Fault, f64)]) {
        self.shared.plan.lock().unwrap().odds = odds.to_vec();
    }

    /// No more faults: everything passes.
    pub fn calm(&self) {
        let mut plan = self.shared.plan.lock().unwrap();
        plan.script.clear();
        plan.odds.clear();
        plan.down = false;
    }

    pub fn set_down(&self, down: bool) {
        self.shared.plan.lock().unwrap().down = down;
    }

    /// Sends every held-back request now, in the order they were held.
    pub async fn release_held(&self) {
        let held = std::mem::take(&mut *self.shared.held.lock().unwrap());
        for c in held {
            let _ = forward(&self.shared, &c).await;
        }
    }

    /// How many faults of each kind were made.
    pub fn made(&self, f: impl Fn(&Fault) -> bool) -> usize {
        self.shared
            .made
            .lock()
            .unwrap()
            .iter()
            .filter(|m| f(m))
            .count()
    }

    pub fn total_faults(&self) -> usize {
        self.shared.made.lock().unwrap().len()
    }

    /// Requests that reached the server (duplicates count twice).
    pub fn forwarded(&self) -> u64 {
        *self.shared.forwarded.lock().unwrap()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

/// Seeded and tiny: a fault schedule needs reproducibility, not statistical quality
/// (SplitMix64, public domain).
#[derive(Debug)]
struct SplitMix(u64);

impl SplitMix {
    fn next_f64(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn choose(shared: &Shared, path: &str) -> (bool, Option<Fault>) {
    let mut plan = shared.plan.lock().unwrap();
    if plan.down {
        return (true, None);
    }
    if !path.starts_with(&plan.path) {
        return (false, None);
    }
    if let Some(f) = plan.script.pop_front() {
        return (false, Some(f));
    }
    let roll = plan.rng.next_f64();
    let mut acc = 0.0;
    for (f, p) in &plan.odds {
        acc += p;
        if roll < acc {
            return (false, Some(*f));
        }
    }
    (false, None)
}

struct Upstream {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

async fn forward(shared: &Shared, c: &Captured) -> Result<Upstream, reqwest::Error> {
    let mut req = shared
        .http
        .request(
            c.method.clone(),
            format!("{}{}", shared.upstream, c.path_and_query),
        )
        .body(c.body.clone());
    for name in [header::AUTHORIZATION, header::CONTENT_TYPE, header::ACCEPT] {
        if let Some(v) = c.headers.get(&name) {
            req = req.header(name, v);
        }
    }
    let res = req.send().await?;
    *shared.forwarded.lock().unwrap() += 1;
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.bytes().await?;
    Ok(Upstream {
        status,
        headers,
        body,
    })
}

fn answer(u: Upstream) -> Response {
    let mut r = (u.status, u.body).into_response();
    if let Some(ct) = u.headers.get(header::CONTENT_TYPE) {
        r.headers_mut().insert(header::CONTENT_TYPE, ct.clone());
    }
    r
}

/// Headers, then a body that ends early: the device sees the connection die.
fn cut(status: StatusCode, full: Bytes, keep: usize) -> Response {
    let mut r = Response::new(Body::new(Cut {
        data: Some(full.slice(..keep.min(full.len()))),
    }));
    *r.status_mut() = status;
    if let Ok(v) = HeaderValue::from_str(&full.len().max(1).to_string()) {
        r.headers_mut().insert(header::CONTENT_LENGTH, v);
    }
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

struct Cut {
    data: Option<Bytes>,
}

impl http_body::Body for Cut {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, std::io::Error>>> {
        match self.data.take() {
            Some(d) if !d.is_empty() => Poll::Ready(Some(Ok(http_body::Frame::data(d)))),
            _ => Poll::Ready(Some(Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "fault proxy: connection cut",
            )))),
        }
    }
}

fn unavailable() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::CONTENT_TYPE, "application/json")],
        r#"{"code":"unavailable","message":"fault proxy: try again later"}"#,
    )
        .into_response()
}

async fn handle(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let Ok(body) = axum::body::to_bytes(body, 64 * 1024 * 1024).await else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let captured = Captured {
        method: parts.method.clone(),
        path_and_query: parts
            .uri
            .path_and_query()
            .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned()),
        headers: parts.headers.clone(),
        body,
    };
    let (down, fault) = choose(&shared, parts.uri.path());
    if down {
        return unavailable();
    }
    if let Some(f) = fault {
        shared.made.lock().unwrap().push(f);
    }
    let bad_gateway = |e: reqwest::Error| (StatusCode::BAD_GATEWAY, e.to_string()).into_response();
    let answered = match fault {
        None => forward(&shared, &captured)
            .await
            .map_or_else(bad_gateway, answer),
        Some(Fault::DropRequest) => cut(StatusCode::OK, Bytes::new(), 0),
        Some(Fault::DropResponse) => match forward(&shared, &captured).await {
            Ok(u) => cut(u.status, u.body, 0),
            Err(e) => bad_gateway(e),
        },
        Some(Fault::Truncate) => match forward(&shared, &captured).await {
            Ok(u) => {
                let half = u.body.len() / 2;
                cut(u.status, u.body, half)
            }
            Err(e) => bad_gateway(e),
        },
        Some(Fault::Duplicate) => {
            let _ = forward(&shared, &captured).await;
            forward(&shared, &captured)
                .await
                .map_or_else(bad_gateway, answer)
        }
        Some(Fault::DuplicateConcurrent) => {
            let (a, _b) = tokio::join!(forward(&shared, &captured), forward(&shared, &captured));
            a.map_or_else(bad_gateway, answer)
        }
        Some(Fault::Delay(d)) => {
            tokio::time::sleep(d).await;
            forward(&shared, &captured)
                .await
                .map_or_else(bad_gateway, answer)
        }
        Some(Fault::Reorder) => {
            shared.held.lock().unwrap().push(captured);
            return cut(StatusCode::OK, Bytes::new(), 0);
        }
        Some(Fault::Unavailable) => unavailable(),
    };
    // Held-back requests arrive after this newer one.
    let held = std::mem::take(&mut *shared.held.lock().unwrap());
    for c in held {
        let _ = forward(&shared, &c).await;
    }
    answered
}
