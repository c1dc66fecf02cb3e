//! App-wide state, shared through context: what is shown, the last sync status, and the
//! data and edits that should survive leaving a screen (search filters, route edits).

use std::future::Future;

use leptos::prelude::*;
use leptos::task::spawn_local;
use rounds_core::LatLon;
use rounds_protocol::AccountId;
use rounds_protocol::ipc::{
    AccountList, AccountQuery, DayRoute, DemoOffer, IpcError, PlanDay, Profile, SyncView, TodayView,
};

/// One piece of screen data: the last answer, the last failure, and whether a request is
/// out. Old data stays on screen while a newer request runs.
#[derive(Debug)]
pub struct Fetch<T: 'static> {
    pub data: RwSignal<Option<T>>,
    pub error: RwSignal<Option<IpcError>>,
    pub busy: RwSignal<bool>,
    /// Only the newest request may write: answers to older ones are dropped.
    generation: StoredValue<u64>,
}

impl<T> Clone for Fetch<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Fetch<T> {}

impl<T: Send + Sync + PartialEq + 'static> Fetch<T> {
    pub fn new() -> Self {
        Self {
            data: RwSignal::new(None),
            error: RwSignal::new(None),
            busy: RwSignal::new(false),
            generation: StoredValue::new(0),
        }
    }

    /// Marks a request as coming (for debouncing) and returns its ticket.
    pub fn begin(self) -> u64 {
        // `try_`: an answer may arrive after its screen is gone, and must not panic then.
        let ticket = self
            .generation
            .try_update_value(|g| {
                *g += 1;
                *g
            })
            .unwrap_or(0);
        self.busy.set(true);
        ticket
    }

    pub fn is_current(self, ticket: u64) -> bool {
        self.generation.try_get_value() == Some(ticket)
    }

    pub fn run(self, fut: impl Future<Output = Result<T, IpcError>> + 'static) {
        let ticket = self.begin();
        self.run_ticket(ticket, fut);
    }

    pub fn run_ticket(self, ticket: u64, fut: impl Future<Output = Result<T, IpcError>> + 'static) {
        spawn_local(async move {
            let result = fut.await;
            if !self.is_current(ticket) {
                return;
            }
            match result {
                Ok(v) => {
                    // The same answer again (a sync that brought nothing for this screen)
                    // leaves the screen as it is: no redraw under the rep's fingers.
                    if self.data.with_untracked(|d| d.as_ref() != Some(&v)) {
                        self.data.set(Some(v));
                    }
                    // Setting notifies even when unchanged; spare the screen a re-render.
                    if self.error.with_untracked(Option::is_some) {
                        self.error.set(None);
                    }
                }
                Err(e) => self.error.set(Some(e)),
            }
            self.busy.set(false);
        });
    }

    /// For the container's `loading` class: also true before the first request is made.
    pub fn loading(self) -> bool {
        self.busy.get() || (self.data.with(Option::is_none) && self.error.with(Option::is_none))
    }

    pub fn clear(self) {
        self.generation.update_value(|g| *g += 1);
        self.data.set(None);
        self.error.set(None);
        self.busy.set(false);
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    Starting,
    /// `session` itself failed.
    Failed(IpcError),
    SignedOut {
        server_url: Option<String>,
        demo: Option<DemoOffer>,
    },
    /// Signed in; the territory is still arriving.
    FirstSync(Profile),
    Main(Profile),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Today,
    Route,
    Week,
    Accounts,
    Sync,
    Account(AccountId),
    /// "New lead here", opened from Accounts.
    NewLead,
}

impl Screen {
    pub const TABS: [(Screen, &'static str); 5] = [
        (Screen::Today, "Today"),
        (Screen::Route, "Route"),
        (Screen::Week, "Week"),
        (Screen::Accounts, "Accounts"),
        (Screen::Sync, "Sync"),
    ];

    pub fn key(self) -> &'static str {
        match self {
            Screen::Today => "today",
            Screen::Route => "route",
            Screen::Week => "week",
            Screen::Accounts => "accounts",
            Screen::Sync => "sync",
            Screen::Account(_) => "account",
            Screen::NewLead => "new-lead",
        }
    }

    pub fn hash(self) -> String {
        match self {
            Screen::Account(id) => format!("#/account/{id}"),
            other => format!("#/{}", other.key()),
        }
    }

    pub fn from_hash(hash: &str) -> Option<Screen> {
        let path = hash.trim_start_matches('#').trim_start_matches('/');
        if let Some(id) = path.strip_prefix("account/") {
            return id.parse().ok().map(Screen::Account);
        }
        if path == Screen::NewLead.key() {
            return Some(Screen::NewLead);
        }
        Screen::TABS
            .iter()
            .map(|(s, _)| *s)
            .find(|s| s.key() == path)
    }
}

/// The rep's edits to today's route, kept for the session.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RouteEdits {
    pub from: Option<LatLon>,
    /// With names, so a dropped stop can be put back from a list.
    pub dropped: Vec<(AccountId, String)>,
    pub added: Vec<(AccountId, String)>,
    pub pinned: Vec<AccountId>,
}

impl RouteEdits {
    pub fn plan(&self) -> PlanDay {
        PlanDay {
            from: self.from,
            dropped: self.dropped.iter().map(|(id, _)| *id).collect(),
            added: self.added.iter().map(|(id, _)| *id).collect(),
            pinned: self.pinned.clone(),
        }
    }

    pub fn drop_stop(&mut self, id: AccountId, name: String) {
        self.pinned.retain(|p| *p != id);
        let before = self.added.len();
        self.added.retain(|(a, _)| *a != id);
        if self.added.len() == before && !self.dropped.iter().any(|(d, _)| *d == id) {
            self.dropped.push((id, name));
        }
    }

    pub fn add_stop(&mut self, id: AccountId, name: String) {
        let before = self.dropped.len();
        self.dropped.retain(|(d, _)| *d != id);
        if self.dropped.len() == before && !self.added.iter().any(|(a, _)| *a == id) {
            self.added.push((id, name));
        }
    }

    pub fn toggle_pin(&mut self, id: AccountId) {
        if self.pinned.contains(&id) {
            self.pinned.retain(|p| *p != id);
        } else {
            self.pinned.push(id);
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Ctx {
    pub phase: RwSignal<Phase>,
    pub screen: RwSignal<Screen>,
    /// Where `#back` on an account goes, and which tab stays lit meanwhile.
    pub back: RwSignal<Screen>,
    pub sync: RwSignal<Option<SyncView>>,
    /// Counts answers to `sync_status`, so a screen can wait for one newer than itself.
    pub polls: RwSignal<u64>,
    /// The last `sync_status` failure, cleared by the next answer.
    pub poll_error: RwSignal<Option<IpcError>>,
    /// Bumped when a sync finishes: screens reload their data.
    pub refresh: RwSignal<u64>,
    /// Asks the poller for a fresh sync status now instead of at the next 3 s tick.
    pub poll_now: RwSignal<bool>,
    pub today: Fetch<TodayView>,
    pub route: Fetch<DayRoute>,
    pub route_edits: RwSignal<RouteEdits>,
    pub accounts: Fetch<AccountList>,
    pub query: RwSignal<AccountQuery>,
}

impl Ctx {
    pub fn new() -> Self {
        let start = location_hash()
            .and_then(|h| Screen::from_hash(&h))
            .unwrap_or(Screen::Today);
        Self {
            phase: RwSignal::new(Phase::Starting),
            screen: RwSignal::new(start),
            back: RwSignal::new(Screen::Today),
            sync: RwSignal::new(None),
            polls: RwSignal::new(0),
            poll_error: RwSignal::new(None),
            refresh: RwSignal::new(0),
            poll_now: RwSignal::new(false),
            today: Fetch::new(),
            route: Fetch::new(),
            route_edits: RwSignal::new(RouteEdits::default()),
            accounts: Fetch::new(),
            query: RwSignal::new(AccountQuery::default()),
        }
    }

    pub fn profile(self) -> Option<Profile> {
        match self.phase.get_untracked() {
            Phase::FirstSync(p) | Phase::Main(p) => Some(p),
            _ => None,
        }
    }

    /// Shows a screen and records it in the location hash, so the platform's back
    /// gesture walks back through screens.
    pub fn go(self, to: Screen) {
        self.show(to);
        let hash = to.hash();
        if location_hash().as_deref() != Some(hash.trim_start_matches('#')) {
            let _ = location().set_hash(&hash);
        }
    }

    /// Shows a screen without touching the hash (used when the hash changed).
    pub fn show(self, to: Screen) {
        let from = self.screen.get_untracked();
        if from == to {
            return;
        }
        if matches!(to, Screen::Account(_)) && !matches!(from, Screen::Account(_)) {
            self.back.set(from);
        }
        self.screen.set(to);
    }

    /// The tab lit in the tab bar.
    pub fn tab(self) -> Screen {
        match self.screen.get() {
            Screen::Account(_) => self.back.get(),
            Screen::NewLead => Screen::Accounts,
            s => s,
        }
    }

    /// Forgets everything a previous rep saw (after signing out).
    pub fn reset(self) {
        self.today.clear();
        self.route.clear();
        self.accounts.clear();
        self.sync.set(None);
        self.route_edits.set(RouteEdits::default());
        self.query.set(AccountQuery::default());
        self.screen.set(Screen::Today);
        self.back.set(Screen::Today);
    }
}

pub fn ctx() -> Ctx {
    expect_context::<Ctx>()
}

/// A screen's form state that outlives the screen's redraws. A sync landing while the rep
/// types fetches the screen's data again and draws it anew; a form whose signals were made
/// in that drawing would close and lose what was typed. Each form keeps one `Copy` struct
/// of signals here, found by its type and made once, under the screen's owner.
#[derive(Clone)]
pub struct Kept {
    owner: Owner,
    forms: StoredValue<Vec<Box<dyn std::any::Any + Send + Sync>>>,
}

impl Kept {
    /// Made by the screen, outside the part it redraws; its children find it by context.
    pub fn provide() {
        provide_context(Kept {
            owner: Owner::current().expect("a screen is drawn under an owner"),
            forms: StoredValue::new(Vec::new()),
        });
    }

    /// The form state of type `T`, made by `init` the first time.
    pub fn get<T: Copy + Send + Sync + 'static>(init: impl FnOnce() -> T) -> T {
        let Some(kept) = use_context::<Kept>() else {
            // Drawn outside a screen that keeps its forms: nothing to outlive.
            return init();
        };
        let found = kept
            .forms
            .with_value(|all| all.iter().find_map(|b| b.downcast_ref::<T>().copied()));
        found.unwrap_or_else(|| {
            let made = kept.owner.with(init);
            kept.forms.update_value(|all| all.push(Box::new(made)));
            made
        })
    }
}
