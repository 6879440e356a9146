//! Orders from the sandbox's shop through the GraphQL Admin API: found by phone or email, none
//! for a stranger, THROTTLED waited out, a wrong token reported as such.

use std::time::Instant;
use switchboard_core::sensitive::Sensitive;
use switchboard_sandbox::{credentials, script, shopify as sandbox_shop, Config, Running, Sandbox};
use switchboard_sync::shopify::{Shop, ShopSettings};
use switchboard_sync::Error;

async fn shop(token: &str) -> (Running, Shop) {
    let running = Sandbox::start(Config { seed: 5, conversations: 60, ..Default::default() }, 0).await.unwrap();
    let settings = ShopSettings {
        shop: credentials::SHOP.into(),
        base_url: Some(running.base_url.clone()),
        api_version: Some(sandbox_shop::VERSION.into()),
        refresh_minutes: None,
    };
    let shop = Shop::new(&settings, Sensitive::new(token.to_owned())).unwrap();
    (running, shop)
}

/// A sandbox customer the shop has orders for, with how many.
fn customer_with_orders(running: &Running) -> (script::Customer, usize) {
    let world = script::generate(5, 60, jiff::Timestamp::now().as_second());
    world
        .customers
        .into_iter()
        .find_map(|c| running.controller.shop_orders(&c.phone).filter(|n| *n >= 2).map(|n| (c, n)))
        .expect("a customer with orders")
}

#[tokio::test]
async fn a_customers_orders_come_by_phone_or_email() {
    let (running, shop) = shop(credentials::SHOPIFY_TOKEN).await;
    let (customer, count) = customer_with_orders(&running);
    let by_phone = shop.orders(None, Some(&customer.phone)).await.unwrap();
    assert_eq!(by_phone.len(), count);
    let by_email = shop.orders(Some(&sandbox_shop::email(&customer).to_uppercase()), None).await.unwrap();
    assert_eq!(by_email, by_phone);
    // Newest first, money as decimal text with its currency, items and states filled in.
    assert!(by_phone.windows(2).all(|w| w[0].at >= w[1].at));
    for order in &by_phone {
        assert!(order.number.starts_with('#') && order.id.starts_with("gid://shopify/Order/"));
        assert!(order.total.parse::<f64>().unwrap() > 0.0 && ["USD", "KRW"].contains(&order.currency.as_str()));
        assert!(!order.items.is_empty() && order.financial_status.is_some() && order.fulfillment_status.is_some());
        let fulfilled = order.fulfillment_status.as_deref() == Some("FULFILLED");
        assert_eq!(fulfilled, order.tracking.iter().any(|t| t.url.as_deref().is_some_and(|u| u.starts_with("https://"))));
    }
    assert!(shop.orders(Some("nobody@example.org"), Some("+19999999999")).await.unwrap().is_empty());
    assert!(shop.orders(None, None).await.unwrap().is_empty());
    // A quote in the address cannot break out of the search term.
    assert!(shop.orders(Some("x\" OR phone:\"*"), None).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_throttled_query_waits_for_the_bucket_and_then_succeeds() {
    let (running, shop) = shop(credentials::SHOPIFY_TOKEN).await;
    let (customer, count) = customer_with_orders(&running);
    // A first query teaches the client what one costs.
    assert_eq!(shop.orders(None, Some(&customer.phone)).await.unwrap().len(), count);
    running.controller.drain_shop();
    let started = Instant::now();
    assert_eq!(shop.orders(None, Some(&customer.phone)).await.unwrap().len(), count);
    // It waited for the bucket (50 points a second) rather than hammering it.
    assert!(started.elapsed().as_millis() >= 500, "{:?}", started.elapsed());
}

#[tokio::test]
async fn a_wrong_token_asks_for_new_credentials() {
    let (running, shop) = shop("shpat_wrong").await;
    let (customer, _) = customer_with_orders(&running);
    let err = shop.orders(None, Some(&customer.phone)).await.unwrap_err();
    assert!(matches!(err, Error::Auth(_)), "{err}");
    assert!(!err.to_string().contains("shpat_"), "{err}");
}
