//! The areas the map draws: cells around postal codes' middles, real boundaries where an
//! administrator imported them, and the codes a territory took with no account yet.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};

use rounds_protocol::TerritoryId;
use rounds_protocol::records::AccountRecord;
use rounds_server_rules::state::AppState;
use rounds_server_rules::units::EmptyCode;
use rounds_server_rules::{Error, Result};
use rounds_territory::{MultiPolygon, Piece, Place, areas_with_boundaries, unit_areas};

use super::super::scope::Team;
use super::located;

/// The land the map draws besides the accounts' postal codes: the codes the territories
/// took with no account yet, and the real boundaries of any code.
#[derive(Debug, Default)]
pub struct Land {
    pub empty: Vec<EmptyCode>,
    pub shapes: HashMap<(String, String), MultiPolygon<f64>>,
}

/// The areas of the team's territories: each postal code's unit at the middle of its
/// accounts, or along its real boundary when it has one, and the codes the territories
/// took with no account yet (see [`Land`]).
pub(super) fn pieces(
    territory_index: &BTreeMap<TerritoryId, usize>,
    all: &[AccountRecord],
    land: &Land,
) -> Arc<Vec<Piece>> {
    // Units are postal codes, at the middle of their accounts; each account votes for
    // its territory, so a unit's cell goes to the territory most of its accounts are in.
    // A unit with a real boundary is drawn from it, given to the territory most of its
    // accounts are in.
    // Keyed by the postal code, else by the account (a unit of its own).
    type UnitKey = Result<(String, String), String>;
    let mut units: BTreeMap<UnitKey, Vec<(Place, usize)>> = BTreeMap::new();
    for a in all {
        if let (Some(t), Some(place)) = (
            a.territory_id
                .and_then(|t| territory_index.get(&t).copied()),
            located(a),
        ) {
            let key = rounds_server_rules::units::key(&a.country, &a.postal_code)
                .ok_or_else(|| a.id.to_string());
            units.entry(key).or_default().push((place, t));
        }
    }
    let mut shapes: Vec<(MultiPolygon<f64>, usize)> = Vec::new();
    let mut sites: Vec<(Place, usize)> = Vec::new();
    for (key, members) in &units {
        if let Some(shape) = key.as_ref().ok().and_then(|k| land.shapes.get(k)) {
            let mut votes: BTreeMap<usize, usize> = BTreeMap::new();
            for m in members {
                *votes.entry(m.1).or_default() += 1;
            }
            let owner = votes
                .iter()
                .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
                .map_or(0, |(t, _)| *t);
            shapes.push((shape.clone(), owner));
            continue;
        }
        let n = members.len() as f64;
        let lat = members.iter().map(|m| m.0.lat).sum::<f64>() / n;
        let lon = members.iter().map(|m| m.0.lon).sum::<f64>() / n;
        sites.extend(members.iter().map(|m| (Place::new(lat, lon), m.1)));
    }
    for (key, lat, lon, t) in &land.empty {
        let Some(i) = territory_index.get(t) else {
            continue;
        };
        match land.shapes.get(key) {
            Some(shape) => shapes.push((shape.clone(), *i)),
            None => sites.push((Place::new(*lat, *lon), *i)),
        }
    }
    if shapes.is_empty() {
        areas_of(sites, territory_index.len())
    } else {
        Arc::new(areas_with_boundaries(
            &sites,
            &shapes,
            territory_index.len(),
        ))
    }
}

/// The areas of these units, remembered for the last few inputs: drawing them is most of
/// the cost of a large map, and they change only when accounts move or are added. The
/// whole input is compared, so an answer is only ever reused for the same units.
pub(super) fn areas_of(sites: Vec<(Place, usize)>, territories: usize) -> Arc<Vec<Piece>> {
    type Memo = VecDeque<(Vec<(Place, usize)>, usize, Arc<Vec<Piece>>)>;
    static MEMO: Mutex<Memo> = Mutex::new(VecDeque::new());
    const KEPT: usize = 8;
    let hit = MEMO.lock().ok().and_then(|m| {
        m.iter()
            .find(|(s, t, _)| *t == territories && *s == sites)
            .map(|(_, _, pieces)| Arc::clone(pieces))
    });
    if let Some(pieces) = hit {
        return pieces;
    }
    let pieces = Arc::new(unit_areas(&sites, territories));
    if let Ok(mut m) = MEMO.lock() {
        if m.len() == KEPT {
            m.pop_back();
        }
        m.push_front((sites, territories, Arc::clone(&pieces)));
    }
    pieces
}

/// The land the team's map draws besides its accounts (see [`Land`]).
pub(super) async fn land(s: &AppState, team: &Team, all: &[AccountRecord]) -> Result<Land> {
    let territories: Vec<TerritoryId> = team.territories.iter().map(|t| t.id).collect();
    let used: HashSet<(String, String)> = all
        .iter()
        .filter_map(|a| rounds_server_rules::units::key(&a.country, &a.postal_code))
        .collect();
    s.db.read(move |tx| {
        let empty = rounds_server_rules::units::empty_codes(tx, &territories, &used)?;
        let keys: HashSet<(String, String)> = used
            .iter()
            .cloned()
            .chain(empty.iter().map(|e| e.0.clone()))
            .collect();
        let shapes = rounds_server_rules::boundaries::of(tx, &keys)?;
        Ok::<_, Error>(Land { empty, shapes })
    })
    .await
}
