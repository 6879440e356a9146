#![allow(dead_code)]
//! Fixtures shared by the core's integration tests.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use switchboard_core::keys::{StaticKey, StoreKey};
use switchboard_core::Store;

pub const MARKER: &str = "PLAINTEXT-MARKER-93b1f0";

pub fn key(byte: u8) -> StoreKey {
    StoreKey::from_bytes([byte; 32])
}

pub fn static_key(byte: u8) -> StaticKey {
    StaticKey::new(key(byte))
}

/// A small but varied data set: two channels, English and Korean, a bot exchange, settings.
pub fn sample_jsonl() -> String {
    [
        r#"{"kind":"account","account":"messenger:acme-page","name":"Acme on Messenger"}"#,
        r#"{"kind":"account","account":"sms:+15550100","name":"Acme SMS","config":{"from":"+15550100"}}"#,
        r##"{"kind":"tag","name":"refund","color":"#d33"}"##,
        r#"{"kind":"calendar","name":"Seoul office","time_zone":"Asia/Seoul","hours":{"mon":[["09:00","18:00"]],"tue":[["09:00","18:00"]]},"holidays":["2026-09-25"]}"#,
        r#"{"kind":"sla_policy","name":"Urgent","priority":"urgent","first_reply_minutes":15,"resolution_minutes":240,"calendar":"Seoul office"}"#,
        r#"{"kind":"rule","name":"Refunds first","position":1,"conditions":[{"text_contains_any":["refund","환불"]}],"actions":[{"set_priority":"high"},{"add_tag":"refund"}]}"#,
        r#"{"kind":"canned_reply","shortcut":"where","title":"Where is my order","variants":[{"language":"en","body":"Hi {{customer.first_name}}, order {{order.number}} is on its way."},{"language":"ko","body":"{{customer.name}}님, 주문 {{order.number}}은 배송 중입니다."},{"language":"en","channel":"sms","body":"Order {{order.number}} ships today."}],"actions":[{"set_status":"pending"}]}"#,
        r#"{"kind":"contact","id":"ct_lena","name":"Lena Ortiz","email":"lena@example.com","language":"en","tags":["vip"],"identities":[{"account":"messenger:acme-page","handle":"6120001","name":"Lena Ortiz"},{"account":"sms:+15550100","handle":"+15550123"}]}"#,
        r#"{"kind":"contact","id":"ct_minji","name":"김민지","phone":"+821012345678","language":"ko","time_zone":"Asia/Seoul","identities":[{"account":"messenger:acme-page","handle":"6120002"}]}"#,
        r#"{"kind":"conversation","account":"messenger:acme-page","id":"t_100","customer":"ct_lena","status":"open","priority":"high","tags":["refund"]}"#,
        r#"{"kind":"message","account":"messenger:acme-page","conversation":"t_100","id":"m_1","direction":"in","author":{"kind":"customer","name":"Lena Ortiz","handle":"6120001"},"text":"Where is order 1043? I was told it Refunded but nothing arrived.","at":"2026-03-04T10:15:00Z"}"#,
        r#"{"kind":"message","account":"messenger:acme-page","conversation":"t_100","id":"m_2","direction":"out","author":{"kind":"bot","name":"Acme Bot"},"text":"Thanks! What is your order number?","at":"2026-03-04T10:15:05Z"}"#,
        r#"{"kind":"message","account":"messenger:acme-page","conversation":"t_100","id":"m_3","direction":"out","author":{"kind":"agent","name":"Sam"},"text":"I am checking the refund now.","at":"2026-03-04T10:20:00Z","attachments":[{"kind":"file","name":"receipt.pdf","mime":"application/pdf","url":"https://example.com/r.pdf","size":1200}]}"#,
        r#"{"kind":"note","id":"n_1","account":"messenger:acme-page","conversation":"t_100","author":"Sam","text":"Refund approved by finance.","at":"2026-03-04T10:25:00Z"}"#,
        r#"{"kind":"message","account":"messenger:acme-page","conversation":"t_200","id":"m_4","direction":"in","author":{"kind":"customer","name":"김민지","handle":"6120002"},"text":"주문이 아직 안 왔어요. 환불 가능한가요?","at":"2026-03-05T01:00:00Z"}"#,
        r#"{"kind":"message","account":"sms:+15550100","conversation":"+15550123","id":"SM1","direction":"in","author":{"kind":"customer","handle":"+15550123"},"text":"Still waiting on my delivery","at":"2026-03-06T08:00:00Z"}"#,
        r#"{"kind":"order","shop":"acme.myshopify.com","id":"gid://shopify/Order/1","customer":"ct_lena","number":"1043","at":"2026-03-01T09:00:00Z","currency":"USD","total":"129.00","financial_status":"refunded","fulfillment_status":"unfulfilled","items":[{"title":"Kettle","quantity":1,"price":"129.00"}],"tracking":[{"carrier":"UPS","number":"1Z999","url":"https://ups.example/1Z999"}]}"#,
    ]
    .join("\n")
        + "\n"
}

pub fn store_with_sample(dir: &Path, byte: u8) -> (PathBuf, Store) {
    let path = dir.join("switchboard.db");
    let mut store = Store::create(&path, &static_key(byte)).unwrap();
    let report = store.import_jsonl(sample_jsonl().as_bytes()).unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    (path, store)
}

pub fn checksum(path: &Path) -> String {
    hex(&Sha256::digest(std::fs::read(path).unwrap()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Every file in `dir`, with its contents.
pub fn files_in(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect()
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
