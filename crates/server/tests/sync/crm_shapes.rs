//! The accounts export in a CRM's own shape: its column names, its record ids, owners by
//! e-mail and its stage words; and the same file imports back into Rounds unchanged. On
//! both backends.

use crate::dashboard::{Browser, csrf_of};
use crate::manage::{import_as, manager};
use crate::support::*;

on_both_backends!(
    threads = 4;
    an_export_in_each_crms_shape_names_its_records_and_imports_back_unchanged,
);

async fn an_export_in_each_crms_shape_names_its_records_and_imports_back_unchanged(
    backend: Backend,
) {
    let (server, _org) = start(backend).await;
    let maria = manager(&server).await;
    // Two accounts from HubSpot (their record ids kept) beside the seeded ones.
    let hubspot = "Record ID,Company name,Street Address,City,Postal Code,Lifecycle Stage,Company owner,Annual Revenue\n\
        7001,Lakeside Dental,1600 Glenarm Pl,Denver,80202,customer,ana@example.com,\"$1,200.50\"\n\
        7002,Old Town Vet,12 Harvard Ave,Boston,02134,opportunity,ben@example.com,\n";
    let report = import_as(&server, &maria, hubspot).await;
    assert!(report.ready(), "{report:?}");

    let mut b = Browser::signed_in(&server.base, "maria@example.com").await;
    let csrf = csrf_of(&b.get("/dashboard/import").await.body);
    for (shape, header, lakeside) in [
        (
            "hubspot",
            "Record ID,Company name,Street Address,City,State/Region,Postal Code",
            "7001,Lakeside Dental,1600 Glenarm Pl,Denver,,80202,,,,1200.50,customer,customer,ana@example.com,",
        ),
        (
            "salesforce",
            "Account ID,Account Name,Billing Street,Billing City",
            ",Lakeside Dental,1600 Glenarm Pl,Denver,,80202,,",
        ),
        (
            "pipedrive",
            "Organization - ID,Organization - Name,Organization - Address",
            ",Lakeside Dental,1600 Glenarm Pl,Denver,,80202,,ana@example.com,customer,",
        ),
    ] {
        let (status, kind, bytes) = b
            .get_bytes(&format!("/dashboard/accounts.csv?shape={shape}"))
            .await;
        assert_eq!(status, 200, "{shape}");
        assert!(kind.starts_with("text/csv"), "{kind}");
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.starts_with(header), "{shape}: {text}");
        assert!(text.contains(lakeside), "{shape}: {lakeside} in {text}");
        if shape == "salesforce" {
            assert!(
                text.contains(",Customer - Direct,ana@example.com,"),
                "{text}"
            );
            assert!(
                text.contains(",opportunity,Prospect,ben@example.com,"),
                "{text}"
            );
        }
        // Into Rounds again: every row is an account it already has, unchanged.
        let preview = b
            .post("/dashboard/import", &[("csrf", &csrf), ("csv", &text)])
            .await;
        assert_eq!(preview.status, 200, "{shape}: {}", preview.body);
        assert!(
            preview.body.contains("0 new, 0 to update, 7 unchanged"),
            "{shape} imports back unchanged: {}",
            &preview.body[preview.body.find("row").unwrap_or(0)..][..300]
        );
    }
    let refused = b.get("/dashboard/accounts.csv?shape=widgets").await;
    assert_eq!(refused.status, 400);
}
