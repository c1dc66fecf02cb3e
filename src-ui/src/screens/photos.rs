//! An account's photos: taken or picked on the device, kept there, uploaded on sync.

use leptos::prelude::*;
use leptos::task::spawn_local;
use rounds_protocol::ipc::{AccountDetail, AttachPhoto, IpcError, PhotoItem, PhotoUpload};
use rounds_protocol::{AccountId, ActivityId, PhotoId};
use wasm_bindgen::JsCast as _;

use crate::state::{Fetch, ctx};
use crate::{format, ipc, words};

/// The photos card: the list, and "Add photo" (the camera on a phone, a file elsewhere).
#[component]
pub fn Photos(account: AccountId, items: Vec<PhotoItem>, f: Fetch<AccountDetail>) -> impl IntoView {
    let ctx = ctx();
    let caption = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<IpcError>);
    let picked = move |ev: leptos::ev::Event| {
        let Some(file) = picked_file(&ev) else {
            return;
        };
        busy.set(true);
        error.set(None);
        let text = Some(caption.get_untracked().trim().to_owned()).filter(|c| !c.is_empty());
        spawn_local(async move {
            let answer = attach_file(file, account, None, text).await;
            let _ = busy.try_set(false);
            match answer {
                Ok(_) => {
                    let _ = caption.try_set(String::new());
                    ctx.poll_now.set(true);
                    f.run(ipc::account(account));
                }
                Err(e) => {
                    let _ = error.try_set(Some(e));
                }
            }
        });
    };
    let list = if items.is_empty() {
        view! { <p class="muted">"No photos yet."</p> }.into_any()
    } else {
        view! {
            <ul class="photos">
                {items.into_iter().map(|p| view! { <PhotoRow item=p /> }).collect_view()}
            </ul>
        }
        .into_any()
    };
    view! {
        <section class="card" id="photos">
            <h2>"Photos"</h2>
            {list}
            <label for="photo-caption">"Caption (optional)"</label>
            <input
                id="photo-caption"
                type="text"
                maxlength="200"
                prop:value=move || caption.get()
                on:input=move |ev| caption.set(event_target_value(&ev))
            />
            <label class="button secondary file-button" class:busy=move || busy.get()>
                {move || if busy.get() { "Saving the photo…" } else { "Add photo" }}
                <input
                    id="photo-file"
                    type="file"
                    accept="image/jpeg,image/png,image/webp"
                    capture="environment"
                    disabled=move || busy.get()
                    on:change=picked
                />
            </label>
            {move || error.get().map(|e| view! { <p class="form-error" role="alert">{refusal(&e)}</p> })}
        </section>
    }
}

/// The file an `<input type="file">` change picked; the input is cleared, so the same
/// file may be picked again.
pub fn picked_file(ev: &leptos::ev::Event) -> Option<web_sys::File> {
    let input = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())?;
    let file = input.files().and_then(|l| l.get(0));
    input.set_value("");
    file
}

/// Keeps `file` as a photo of `account` (taken at `activity`, if any), queued to sync.
pub async fn attach_file(
    file: web_sys::File,
    account: AccountId,
    activity: Option<ActivityId>,
    caption: Option<String>,
) -> Result<PhotoId, IpcError> {
    let data_url = read_data_url(&file).await?;
    ipc::attach_photo(AttachPhoto {
        account_id: account,
        activity_id: activity,
        data_url,
        caption,
    })
    .await
}

/// A photo refused on the device says why (its type or size); other errors in the
/// app's own words.
pub fn refusal(e: &IpcError) -> String {
    match (&e.code, &e.detail) {
        (rounds_protocol::ErrorCode::InvalidInput, Some(d)) => d.clone(),
        _ => words::error(e).to_owned(),
    }
}

#[component]
fn PhotoRow(item: PhotoItem) -> impl IntoView {
    let zone = ctx().profile().map(|p| p.time_zone);
    let src = RwSignal::new(None::<String>);
    let id: PhotoId = item.id;
    if item.on_device {
        spawn_local(async move {
            if let Ok(url) = ipc::photo(id).await {
                let _ = src.try_set(Some(url));
            }
        });
    }
    let state = match &item.upload {
        PhotoUpload::Waiting => {
            view! { <span class="pending-tag">"Waiting to sync"</span> }.into_any()
        }
        PhotoUpload::Uploaded => view! { <span class="muted">"Uploaded"</span> }.into_any(),
        PhotoUpload::FromAnotherDevice => {
            view! { <span class="muted">"From another device"</span> }.into_any()
        }
        PhotoUpload::Refused { reason } => {
            view! { <span class="form-error">"Not taken by the server: " {reason.clone()}</span> }
                .into_any()
        }
    };
    let alt = item.caption.clone().unwrap_or_else(|| "Photo".into());
    view! {
        <li class="photo" data-state=match item.upload { PhotoUpload::Waiting => "waiting", PhotoUpload::Uploaded => "uploaded", PhotoUpload::FromAnotherDevice => "synced", PhotoUpload::Refused { .. } => "refused" }>
            {(!item.on_device).then(|| view! { <div class="photo-missing">"The picture comes with the next sync"</div> })}
            {move || src.get().map(|s| view! { <img src=s alt=alt.clone() /> })}
            <p>
                {item.caption.clone().map(|c| view! { <span class="caption">{c}</span> <br /> })}
                {item.activity_id.map(|_| view! { <span class="muted">"At a visit · "</span> })}
                <span class="muted">{format::date_time(item.taken_at, zone.as_deref())} " · " {format!("{} KB", item.bytes.div_ceil(1024))}</span>
                " "
                {state}
            </p>
        </li>
    }
}

/// The file as a `data:` URL, read in the webview (no path ever leaves it).
async fn read_data_url(file: &web_sys::File) -> Result<String, IpcError> {
    use base64::Engine as _;
    let buf = wasm_bindgen_futures::JsFuture::from(file.array_buffer())
        .await
        .map_err(|_| {
            IpcError::new(
                rounds_protocol::ErrorCode::InvalidInput,
                "the photo could not be read; pick it again",
            )
        })?;
    let bytes = js_sys::Uint8Array::new(&buf).to_vec();
    let mime = match file.type_().as_str() {
        "" => "application/octet-stream".to_owned(),
        t => t.to_owned(),
    };
    Ok(format!(
        "data:{mime};base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    ))
}
