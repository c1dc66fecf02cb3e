//! The device's position, asked for only when the rep taps something that needs it.

use rounds_core::LatLon;
use rounds_protocol::ipc::Fix;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

/// Gives up after `timeout_ms`; `None` on refusal, no fix or timeout.
pub async fn position(timeout_ms: u32) -> Option<Fix> {
    let promise =
        js_sys::Promise::new(&mut |resolve: js_sys::Function, reject: js_sys::Function| {
            let Some(window) = web_sys::window() else {
                let _ = reject.call0(&JsValue::NULL);
                return;
            };
            let Ok(geo) = window.navigator().geolocation() else {
                let _ = reject.call0(&JsValue::NULL);
                return;
            };
            let ok = Closure::once_into_js(move |pos: JsValue| {
                let _ = resolve.call1(&JsValue::NULL, &pos);
            });
            let opts = web_sys::PositionOptions::new();
            opts.set_timeout(timeout_ms);
            opts.set_maximum_age(30_000);
            opts.set_enable_high_accuracy(true);
            if geo
                .get_current_position_with_error_callback_and_options(
                    ok.unchecked_ref(),
                    Some(&reject),
                    &opts,
                )
                .is_err()
            {
                let _ = reject.call0(&JsValue::NULL);
            }
            // The browser's own timeout does not run while a permission prompt is open.
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(
                &reject,
                timeout_ms.saturating_add(250) as i32,
            );
        });
    let pos = JsFuture::from(promise).await.ok()?;
    let get = |o: &JsValue, k: &str| js_sys::Reflect::get(o, &JsValue::from_str(k)).ok();
    let coords = get(&pos, "coords")?;
    let num = |k| get(&coords, k).and_then(|v| v.as_f64());
    let fix = Fix {
        lat: num("latitude")?,
        lon: num("longitude")?,
        // Unknown accuracy: large enough that the shell treats it as no proof.
        accuracy_m: num("accuracy")
            .filter(|a| a.is_finite())
            .unwrap_or(10_000.0),
    };
    LatLon::new(fix.lat, fix.lon).ok().map(|_| fix)
}

pub fn lat_lon(fix: &Fix) -> Option<LatLon> {
    LatLon::new(fix.lat, fix.lon).ok()
}
