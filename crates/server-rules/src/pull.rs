//! Pull: what changed for the buckets this device may see *now*. The buckets are
//! recomputed from the current assignment on every pull; the cursor only says how far
//! the device got, and is never trusted for what it may see.

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac as _};
use rounds_core::Role;
use rounds_protocol::records::TerritoryRecord;
use rounds_protocol::sync::{BucketId, MAX_PULL_OPS, Op, PullResponse, Row, Table};
use rounds_protocol::{DeviceId, ErrorCode, Hlc, MIN_PROTOCOL_VERSION, TerritoryId};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::auth::Caller;
use crate::changelog::parse_table;
use crate::db::{DbError, Sql, Tx, placeholders};
use crate::error::{Error, Result};
use crate::params;
use crate::push::server_hlc;

/// A page stops growing past this many bytes of row data.
pub const MAX_PULL_BYTES: usize = 1024 * 1024;
/// A cursor larger than this was not made by this server.
const MAX_CURSOR_LEN: usize = 64 * 1024;

/// The cursor's content, base64url JSON. Positions only: which buckets the device holds
/// and up to which server seq, and how far a bucket snapshot has got.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    /// The epoch the positions belong to.
    pub e: String,
    /// Buckets the device holds completely, each up to a server seq.
    pub b: BTreeMap<String, i64>,
    /// A bucket being snapshotted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s: Option<Snapshot>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub b: String,
    /// The server seq the snapshot started at: the changelog is replayed from there.
    pub at: i64,
    /// Index into the bucket's tables, and the last row id sent of that table.
    pub t: usize,
    pub k: String,
}

type Mac = Hmac<Sha256>;

impl Cursor {
    /// `base64url(json).base64url(mac)`: the MAC, keyed by the server's cursor key, covers
    /// the device and the positions, so a cursor is good only for the device it was made
    /// for and cannot be forged or edited.
    pub fn encode(&self, key: &[u8], device: DeviceId) -> String {
        let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default());
        let tag = URL_SAFE_NO_PAD.encode(mac(key, device, &body).finalize().into_bytes());
        format!("{body}.{tag}")
    }

    /// The cursor, when it is well formed; `Ok(None)` when it was not made by this server
    /// for this device (forged, edited, another device's, or from before cursors were
    /// signed): the device then starts over from a snapshot.
    pub fn decode(s: &str, key: &[u8], device: DeviceId) -> Result<Option<Cursor>> {
        let malformed = || {
            Error::client(
                ErrorCode::MalformedRequest,
                "the cursor was not made by this server",
            )
        };
        if s.len() > MAX_CURSOR_LEN {
            return Err(malformed());
        }
        let parse = |body: &str| {
            URL_SAFE_NO_PAD
                .decode(body)
                .ok()
                .and_then(|bytes| serde_json::from_slice::<Cursor>(&bytes).ok())
        };
        let Some((body, tag)) = s.split_once('.') else {
            // A cursor from before cursors were signed starts over; garbage is refused.
            return parse(s).map(|_| None).ok_or_else(malformed);
        };
        let (Some(cursor), Ok(tag)) = (parse(body), URL_SAFE_NO_PAD.decode(tag)) else {
            return Err(malformed());
        };
        Ok(mac(key, device, body)
            .verify_slice(&tag)
            .is_ok()
            .then_some(cursor))
    }
}

fn mac(key: &[u8], device: DeviceId, body: &str) -> Mac {
    let mut m =
        Mac::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    m.update(device.to_string().as_bytes());
    m.update(b".");
    m.update(body.as_bytes());
    m
}

fn bucket_tables(b: &str) -> &'static [Table] {
    if b == "org" {
        &[Table::Plan]
    } else {
        &[
            Table::Territory,
            Table::Account,
            Table::Contact,
            Table::Activity,
            Table::Correction,
            Table::FollowUp,
            Table::Photo,
            Table::Appointment,
        ]
    }
}

fn bucket_territory(b: &str) -> Option<TerritoryId> {
    b.strip_prefix("territory/").and_then(|s| s.parse().ok())
}

/// The buckets the caller may see now, from the current assignment, each with the server
/// seq its current holder got it at (0 for the org bucket): a device's position in a
/// bucket is never taken from before that.
pub fn allowed_buckets(tx: &mut dyn Sql, caller: &Caller) -> Result<BTreeMap<String, i64>> {
    let rows = match caller.role {
        Role::Admin => tx.query("SELECT id, held_since_seq FROM territories", &[])?,
        Role::Manager | Role::Director => tx.query(
            &format!(
                "SELECT t.id, t.held_since_seq FROM territories t
                 WHERE t.rep_id IS NOT NULL AND t.rep_id IN ({})",
                crate::manage::MANAGED_PEOPLE
            ),
            params![caller.user],
        )?,
        Role::Rep => tx.query(
            "SELECT id, held_since_seq FROM territories WHERE rep_id = $1",
            params![caller.user],
        )?,
    };
    let mut out = BTreeMap::from([("org".to_owned(), 0)]);
    for r in rows {
        out.insert(
            BucketId::territory(r.parse("id")?).0,
            r.int("held_since_seq")?,
        );
    }
    Ok(out)
}

fn snapshot_rows(
    tx: &mut dyn Sql,
    bucket: &str,
    table: Table,
    after: &str,
    limit: usize,
) -> Result<Vec<(String, Row)>> {
    if table == Table::Plan {
        return tx
            .query(
                "SELECT id, data FROM plans WHERE id > $1 ORDER BY id LIMIT $2",
                params![after, limit],
            )?
            .into_iter()
            .map(|r| Ok((r.text("id")?, Row::Plan(r.json("data")?))))
            .collect();
    }
    let Some(t) = bucket_territory(bucket) else {
        return Ok(Vec::new());
    };
    if table == Table::Photo {
        return Ok(crate::photos::in_territory(tx, t, after, limit)?
            .into_iter()
            .map(|p| (p.id.to_string(), Row::Photo(p.record())))
            .collect());
    }
    if table == Table::Territory {
        let row = tx.query_opt(
            "SELECT id, name, rep_id FROM territories WHERE id = $1 AND id > $2",
            params![t, after],
        )?;
        return row
            .map(|r| {
                Ok((
                    r.text("id")?,
                    Row::Territory(TerritoryRecord {
                        id: t,
                        name: r.text("name")?,
                        rep_id: r.opt_parse("rep_id")?,
                    }),
                ))
            })
            .into_iter()
            .collect();
    }
    let sql = match table {
        Table::Account => {
            "SELECT id, data FROM accounts WHERE territory_id = $1 AND id > $2 ORDER BY id LIMIT $3"
        }
        Table::Contact => {
            "SELECT x.id, x.data FROM contacts x JOIN accounts a ON a.id = x.account_id
             WHERE a.territory_id = $1 AND x.id > $2 ORDER BY x.id LIMIT $3"
        }
        Table::Activity => {
            "SELECT x.id, x.data FROM activities x JOIN accounts a ON a.id = x.account_id
             WHERE a.territory_id = $1 AND x.id > $2 AND x.status = 'ok' ORDER BY x.id LIMIT $3"
        }
        Table::FollowUp => {
            "SELECT x.id, x.data FROM follow_ups x JOIN accounts a ON a.id = x.account_id
             WHERE a.territory_id = $1 AND x.id > $2 ORDER BY x.id LIMIT $3"
        }
        Table::Appointment => {
            "SELECT x.id, x.data FROM appointments x JOIN accounts a ON a.id = x.account_id
             WHERE a.territory_id = $1 AND x.id > $2 ORDER BY x.id LIMIT $3"
        }
        _ => {
            "SELECT x.id, x.data FROM corrections x JOIN accounts a ON a.id = x.account_id
             WHERE a.territory_id = $1 AND x.id > $2 AND x.status = 'ok' ORDER BY x.id LIMIT $3"
        }
    };
    tx.query(sql, params![t, after, limit])?
        .into_iter()
        .map(|r| {
            let id = r.text("id")?;
            let row = match table {
                Table::Account => Row::Account(r.json("data")?),
                Table::Contact => Row::Contact(r.json("data")?),
                Table::Activity => Row::Activity(r.json("data")?),
                Table::FollowUp => Row::FollowUp(r.json("data")?),
                Table::Appointment => Row::Appointment(r.json("data")?),
                _ => Row::Correction(r.json("data")?),
            };
            Ok((id, row))
        })
        .collect()
}

fn row_size(row: &Row) -> usize {
    serde_json::to_vec(row).map_or(0, |v| v.len())
}

/// What a device asks for in one pull.
#[derive(Debug, Clone, Copy, Default)]
pub struct Ask<'a> {
    /// The previous page's cursor; none for a first sync.
    pub cursor: Option<&'a str>,
    /// At most this many operations (≤ 1,000).
    pub limit: Option<usize>,
    pub protocol_version: Option<u32>,
    /// The synced data's shape the device knows (none: 1).
    pub schema_version: Option<u32>,
    /// A bucket to send again from a snapshot (the device found it damaged).
    pub resnapshot: Option<&'a str>,
}

/// One page of changes for the caller.
pub fn pull(
    tx: &mut Tx<'_>,
    caller: &Caller,
    ask: Ask<'_>,
    now: DateTime<Utc>,
) -> Result<PullResponse> {
    let Ask {
        cursor,
        limit,
        protocol_version,
        schema_version,
        resnapshot,
    } = ask;
    // Tables a device's schema does not know are never sent to it.
    let knows = |t: Table| match t {
        Table::FollowUp => schema_version.unwrap_or(1) >= 2,
        Table::Photo => schema_version.unwrap_or(1) >= 3,
        Table::Appointment => schema_version.unwrap_or(1) >= 4,
        _ => true,
    };
    let version = protocol_version.map(i64::from).or(caller.protocol_version);
    if version.is_some_and(|v| v < i64::from(MIN_PROTOCOL_VERSION)) {
        return Err(Error::client(
            ErrorCode::UpgradeRequired,
            format!(
                "this server needs protocol {MIN_PROTOCOL_VERSION} or later; update the app (your pushes are still accepted)"
            ),
        ));
    }
    let limit = limit.unwrap_or(MAX_PULL_OPS).clamp(1, MAX_PULL_OPS);
    // Epoch, head and floor in one round trip.
    let r = tx.query_one(
        "SELECT (SELECT value FROM meta WHERE key = 'epoch') AS epoch,
                (SELECT value FROM counters WHERE name = 'server_seq') AS head,
                (SELECT value FROM meta WHERE key = 'changelog_floor') AS floor,
                (SELECT value FROM meta WHERE key = 'cursor_key') AS cursor_key",
        &[],
    )?;
    let (epoch, head) = (r.text("epoch")?, r.int("head")?);
    let floor: i64 = r.parse("floor")?;
    let key = r.text("cursor_key")?.into_bytes();
    let since = allowed_buckets(tx, caller)?;
    let allowed: BTreeSet<String> = since.keys().cloned().collect();
    let fresh = || Cursor {
        e: epoch.clone(),
        ..Cursor::default()
    };
    let (mut cur, reset) = match cursor.filter(|c| !c.is_empty()) {
        None => (fresh(), false),
        Some(c) => match Cursor::decode(c, &key, caller.device)? {
            Some(c) if c.e == epoch => (c, false),
            // Another epoch, or not a cursor this server made for this device: start over.
            _ => (fresh(), true),
        },
    };
    // A position from before the bucket's current holder got it (a device offline through
    // a handover and back, or replaying an old cursor) is not continued: the bucket is
    // sent again from a snapshot, so nothing from before the hold is ever sent.
    cur.b
        .retain(|b, pos| since.get(b).is_none_or(|from| *pos >= *from) && *pos <= head);
    if cur
        .s
        .as_ref()
        .is_some_and(|s| since.get(&s.b).is_some_and(|from| s.at < *from) || s.at > head)
    {
        cur.s = None;
    }

    if let Some(b) = resnapshot.filter(|b| allowed.iter().any(|a| a == b)) {
        // Its position is forgotten, so it is snapshotted below like a gained bucket.
        // (One the caller may no longer see is removed below as usual.)
        cur.b.remove(b);
        cur.s.take_if(|s| s.b == b);
    }

    let mut ops = Vec::new();
    let mut bytes = 0usize;
    // Lost buckets go first: the device drops them before anything else arrives.
    let lost: Vec<String> = cur
        .b
        .keys()
        .filter(|b| !allowed.contains(*b))
        .cloned()
        .collect();
    for b in lost {
        cur.b.remove(&b);
        ops.push(Op::RemoveBucket {
            bucket: BucketId(b),
        });
    }
    if let Some(s) = cur.s.take_if(|s| !allowed.contains(&s.b)) {
        ops.push(Op::RemoveBucket {
            bucket: BucketId(s.b),
        });
    }
    // Positions behind the compacted changelog cannot be continued: resnapshot those.
    cur.b.retain(|_, pos| *pos >= floor);
    if cur.s.as_ref().is_some_and(|s| s.at < floor) {
        cur.s = None;
    }

    let full = |ops: &Vec<Op>, bytes: usize| ops.len() >= limit || bytes >= MAX_PULL_BYTES;
    while !full(&ops, bytes) {
        if cur.s.is_none() {
            let Some(b) = allowed.iter().find(|b| !cur.b.contains_key(*b)).cloned() else {
                break;
            };
            ops.push(Op::ResetBucket {
                bucket: BucketId(b.clone()),
            });
            cur.s = Some(Snapshot {
                b,
                at: head,
                t: 0,
                k: String::new(),
            });
            continue;
        }
        let Some(s) = cur.s.as_mut() else { break };
        let tables: Vec<Table> = bucket_tables(&s.b)
            .iter()
            .copied()
            .filter(|t| knows(*t))
            .collect();
        let Some(&table) = tables.get(s.t) else {
            cur.b.insert(s.b.clone(), s.at);
            cur.s = None;
            continue;
        };
        let want = limit - ops.len();
        let rows = snapshot_rows(tx, &s.b, table, &s.k, want)?;
        let done = rows.len() < want;
        for (id, row) in rows {
            bytes += row_size(&row);
            s.k = id;
            ops.push(Op::Put {
                bucket: BucketId(s.b.clone()),
                row,
            });
            if bytes >= MAX_PULL_BYTES {
                break;
            }
        }
        if done && bytes < MAX_PULL_BYTES {
            s.t += 1;
            s.k.clear();
        }
    }
    let snapshotting = cur.s.is_some() || allowed.iter().any(|b| !cur.b.contains_key(b));

    let mut behind = false;
    if !snapshotting && !cur.b.is_empty() {
        let start = cur.b.values().copied().min().unwrap_or(head);
        let mut reached = start;
        let held: Vec<String> = cur.b.keys().cloned().collect();
        while reached < head && !full(&ops, bytes) {
            let want = limit - ops.len();
            let sql = format!(
                "SELECT seq, bucket, tbl, row_id, op, data FROM changelog
                 WHERE seq > $1 AND seq <= $2 AND bucket IN ({}) ORDER BY seq LIMIT $3",
                placeholders(4, held.len())
            );
            let mut params = vec![reached.into(), head.into(), want.into()];
            params.extend(held.iter().map(|b| b.as_str().into()));
            let rows = tx.query(&sql, &params)?;
            let n = rows.len();
            for r in rows {
                let seq = r.int("seq")?;
                reached = seq;
                let bucket = r.text("bucket")?;
                if cur.b.get(&bucket).is_some_and(|pos| seq <= *pos)
                    || parse_table(&r.text("tbl")?).is_some_and(|t| !knows(t))
                {
                    continue;
                }
                let op = match r.text("op")?.as_str() {
                    "put" => {
                        let row: Row = r.json("data")?;
                        bytes += row_size(&row);
                        Op::Put {
                            bucket: BucketId(bucket),
                            row,
                        }
                    }
                    _ => Op::Delete {
                        bucket: BucketId(bucket),
                        table: parse_table(&r.text("tbl")?)
                            .ok_or_else(|| DbError::Decode("changelog table".into()))?,
                        id: r.parse("row_id")?,
                    },
                };
                ops.push(op);
                if full(&ops, bytes) {
                    break;
                }
            }
            if n < want && !full(&ops, bytes) {
                reached = head;
            }
        }
        behind = reached < head;
        for pos in cur.b.values_mut() {
            *pos = (*pos).max(reached);
        }
    }
    let last_applied = caller.last_applied_seq;
    Ok(PullResponse {
        epoch,
        cursor: cur.encode(&key, caller.device),
        has_more: snapshotting || behind,
        checkpoint: u64::try_from(cur.b.values().copied().min().unwrap_or(0)).unwrap_or(0),
        server_hlc: server_hlc(Hlc::ZERO, now),
        last_applied_seq: u64::try_from(last_applied).unwrap_or(0),
        reset,
        ops,
    })
}
