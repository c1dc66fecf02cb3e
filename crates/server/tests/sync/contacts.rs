//! Contacts imported from CRM exports, attached to their accounts (by the CRM's account
//! id, or by name), refused row by row with why, updated instead of added again on the
//! next export, and sent to the rep's device. Over HTTP, on both backends.

use rounds_protocol::records::ContactRecord;
use rounds_protocol::sync::Row;
use rounds_server::db::Sql as _;

use crate::dashboard::{Browser, Page, csrf_of};
use crate::manage::{all_accounts, import_as, manager};
use crate::support::*;

on_both_backends!(
    threads = 4;
    crm_contact_exports_attach_to_their_accounts_and_update_on_the_next_export,
);

fn hidden(html: &str, name: &str) -> String {
    let marker = format!(r#"name="{name}" value=""#);
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("a hidden {name}"));
    let rest = &html[at + marker.len()..];
    rest[..rest.find('"').unwrap()].to_owned()
}

async fn contacts(server: &TestServer) -> Vec<ContactRecord> {
    server
        .db
        .read(|tx| {
            let mut out = Vec::new();
            for r in tx.query("SELECT data FROM contacts", &[])? {
                out.push(r.json::<ContactRecord>(0)?);
            }
            Ok::<_, rounds_server::Error>(out)
        })
        .await
        .expect("contacts")
}

async fn upload(b: &mut Browser, csrf: &str, csv: &str) -> Page {
    b.post(
        "/dashboard/import",
        &[("csrf", csrf), ("kind", "contacts"), ("csv", csv)],
    )
    .await
}

async fn confirm(b: &mut Browser, csrf: &str, preview: &Page) -> Page {
    let upload = hidden(&preview.body, "upload");
    let key = hidden(&preview.body, "key");
    b.post(
        "/dashboard/import/confirm",
        &[("csrf", csrf), ("upload", &upload), ("key", &key)],
    )
    .await
}

async fn crm_contact_exports_attach_to_their_accounts_and_update_on_the_next_export(
    backend: Backend,
) {
    let (server, _org) = start(backend).await;
    let maria = manager(&server).await;
    // The accounts, from Salesforce first (their record ids are kept).
    let accounts = "Account ID,Account Name,Billing Zip/Postal Code,Territory\n\
        001A,Acme Dental,80202,North\n\
        001B,Birch Clinic,80203,North\n";
    let report = import_as(&server, &maria, accounts).await;
    assert!(report.ready(), "{report:?}");
    let all = all_accounts(&server).await;
    let acme = all.iter().find(|a| a.name == "Acme Dental").unwrap().id;
    let birch = all.iter().find(|a| a.name == "Birch Clinic").unwrap().id;
    let before = contacts(&server).await.len();

    let mut b = Browser::signed_in(&server.base, "maria@example.com").await;
    let csrf = csrf_of(&b.get("/dashboard/import").await.body);
    // Salesforce's contact export: one by the account's record id, one by its name, one
    // whose account is not there, one with a broken e-mail.
    let file = "Contact ID,First Name,Last Name,Title,Email,Phone,Account Name,Account ID\n\
        003X,Noor,Haddad,Buyer,noor@acme.example,(303) 555-0101,Whatever Name,001A\n\
        003Y,Li,Wei,Owner,li@birch.example,,Birch Clinic,\n\
        003Z,Ghost,Person,,,,No Such Co,\n\
        003W,Bad,Mail,,not-an-email,,Birch Clinic,\n";
    let refused = upload(&mut b, &csrf, file).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.contains("A file of contacts."));
    assert!(
        refused.body.contains(
            "no account you manage is named &quot;No Such Co&quot; (import the accounts first)"
        ),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("Bad Mail"), "the bad row is named");
    assert!(!refused.body.contains("/dashboard/import/confirm"));
    assert_eq!(contacts(&server).await.len(), before, "nothing imported");

    let good: String = file
        .lines()
        .filter(|l| !l.starts_with("003Z") && !l.starts_with("003W"))
        .map(|l| format!("{l}\n"))
        .collect();
    let preview = upload(&mut b, &csrf, &good).await;
    assert_eq!(preview.status, 200, "{}", preview.body);
    assert!(preview.body.contains("2 new"));
    let done = confirm(&mut b, &csrf, &preview).await;
    assert!(done.body.contains("2 contacts created"), "{}", done.body);
    let now = contacts(&server).await;
    let noor = now.iter().find(|c| c.name == "Noor Haddad").expect("Noor");
    assert_eq!(
        noor.account_id, acme,
        "by the CRM's account id, not the name"
    );
    assert_eq!(
        (
            noor.title.as_deref(),
            noor.email.as_deref(),
            noor.phone.as_deref()
        ),
        (
            Some("Buyer"),
            Some("noor@acme.example"),
            Some("(303) 555-0101")
        )
    );
    let li = now.iter().find(|c| c.name == "Li Wei").expect("Li");
    assert_eq!(li.account_id, birch, "by the account's name");

    // The rep's device gets them.
    let mut ana = Device::sign_in(&server.base, "ana@example.com").await;
    ana.sync().await;
    assert!(
        ana.rows
            .values()
            .any(|r| matches!(r, Row::Contact(c) if c.id == noor.id && c.account_id == acme)),
        "Noor reached Ana's device"
    );

    // The same record at another account is not moved behind the manager's back.
    let moved = good.replace("Whatever Name,001A", "Birch Clinic,001B");
    let refused = upload(&mut b, &csrf, &moved).await;
    assert_eq!(refused.status, 422);
    assert!(
        refused
            .body
            .contains("is a contact of another account here"),
        "{}",
        refused.body
    );

    // The next export: Noor's title changed; the same record ids update, nothing is added.
    let next = good.replace(",Buyer,", ",Head Buyer,");
    let preview = upload(&mut b, &csrf, &next).await;
    assert!(
        preview.body.contains("0 new, 1 to update, 1 unchanged"),
        "{}",
        preview.body
    );
    assert!(preview.body.contains("update: title"));
    confirm(&mut b, &csrf, &preview).await;
    // HubSpot, no record ids: Li is found by e-mail at the same company.
    let hubspot = "First Name,Last Name,Email,Job Title,Associated Company\n\
        Li,Wei-Chen,LI@birch.example,Owner,Birch Clinic\n";
    let preview = upload(&mut b, &csrf, hubspot).await;
    assert!(preview.body.contains("update: name"), "{}", preview.body);
    confirm(&mut b, &csrf, &preview).await;
    let after = contacts(&server).await;
    assert_eq!(after.len(), before + 2, "updated, never added again");
    let noor = after.iter().find(|c| c.id == noor.id).unwrap();
    assert_eq!(noor.title.as_deref(), Some("Head Buyer"));
    assert_eq!(
        after.iter().find(|c| c.id == li.id).unwrap().name,
        "Li Wei-Chen"
    );

    // A spreadsheet nothing can be guessed from: the manager says what each column is,
    // and the next file with the same headers is read that way.
    let sheet = "Person,Works At,Mail\nZed Zee,Acme Dental,zed@acme.example\n";
    let refused = upload(&mut b, &csrf, sheet).await;
    assert_eq!(refused.status, 422);
    assert!(
        refused.body.contains("no column holds the contact"),
        "{}",
        refused.body
    );
    let id = hidden(&refused.body, "upload");
    let chosen = b
        .post(
            "/dashboard/import/remap",
            &[
                ("csrf", &csrf),
                ("upload", &id),
                ("col", "name"),
                ("col", "account"),
                ("col", "email"),
            ],
        )
        .await;
    assert_eq!(chosen.status, 200, "{}", chosen.body);
    assert!(chosen.body.contains("Columns read as you chose"));
    let done = confirm(&mut b, &csrf, &chosen).await;
    assert!(done.body.contains("1 contact created"), "{}", done.body);
    let zed = contacts(&server)
        .await
        .into_iter()
        .find(|c| c.name == "Zed Zee")
        .expect("Zed");
    assert_eq!(
        (zed.account_id, zed.email.as_deref()),
        (acme, Some("zed@acme.example"))
    );
    let next = upload(
        &mut b,
        &csrf,
        "Mail,Person,Works At\nyu@birch.example,Yu Yan,Birch Clinic\n",
    )
    .await;
    assert_eq!(next.status, 200, "{}", next.body);
    assert!(
        next.body
            .contains("Columns read as chosen for a file with the same headers")
    );
}
