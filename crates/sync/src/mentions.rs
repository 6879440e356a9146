//! What is said about the business in public on X: its mentions timeline and, when the account
//! has a `search` setting, the posts recent search finds (brand listening). Each stream is read
//! newest first from its stored `since_id` to the end of its `next_token` pages; the new mark is
//! stored with the posts it covers. One author's posts in one X conversation are one public
//! thread, under the business's post that started it, if it did. Replies are posts in reply to
//! the customer's newest post.

use crate::wire::{readable, skip, text_message, Pulled, Raw};
use crate::error::Error;
use crate::x::{User, X};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use switchboard_core::interchange::{PostRecord, PublicThreadRecord, Record};
use switchboard_core::model::AccountView;

const TWEET_FIELDS: &str = "created_at,conversation_id,in_reply_to_user_id,referenced_tweets,author_id";

pub struct Mentions {
    x: X,
    search: Option<String>,
}

/// The newest post id each stream has stored.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Cursor {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    mentions: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    search: Option<String>,
}

#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    data: Vec<Raw>,
    includes: Option<Includes>,
    meta: Option<Meta>,
}

#[derive(Deserialize, Default)]
struct Includes {
    #[serde(default)]
    users: Vec<User>,
    #[serde(default)]
    tweets: Vec<Raw>,
}

#[derive(Deserialize)]
struct Meta {
    newest_id: Option<String>,
    next_token: Option<String>,
}

#[derive(Deserialize)]
struct Tweet {
    id: String,
    text: String,
    author_id: Option<String>,
    created_at: Option<String>,
    conversation_id: Option<String>,
    #[serde(default)]
    referenced_tweets: Vec<Reference>,
}

#[derive(Deserialize)]
struct Reference {
    #[serde(rename = "type")]
    kind: String,
    id: String,
}

/// Numeric order of X ids (strings of digits; longer is newer).
fn newer(a: &str, b: &str) -> bool {
    (a.len(), a) > (b.len(), b)
}

impl Mentions {
    pub(crate) fn new(account: &AccountView, x: X) -> Mentions {
        let search = account.config.get("search").and_then(|v| v.as_str()).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
        Mentions { x, search }
    }

    pub(crate) async fn pull(&self, cursor: Option<&str>) -> Result<Pulled, Error> {
        let mut cursor: Cursor = match cursor {
            Some(c) => serde_json::from_str(c).map_err(|_| Error::Malformed("stored mentions cursor is unreadable".into()))?,
            None => Cursor::default(),
        };
        let me = self.x.me().await?.to_owned();
        let (mut tweets, mut users, mut referenced, mut skipped) = (BTreeMap::new(), HashMap::new(), HashMap::new(), 0);
        let mentions = format!("{}/users/{me}/mentions", self.x.base);
        let newest = self.read(&mentions, None, cursor.mentions.as_deref(), (&mut tweets, &mut users, &mut referenced), &mut skipped).await?;
        cursor.mentions = newest.or(cursor.mentions);
        if let Some(query) = &self.search {
            let url = format!("{}/tweets/search/recent", self.x.base);
            let newest = self.read(&url, Some(query), cursor.search.as_deref(), (&mut tweets, &mut users, &mut referenced), &mut skipped).await?;
            cursor.search = newest.or(cursor.search);
        }
        let mut threads: BTreeMap<String, Option<PostRecord>> = BTreeMap::new();
        let mut messages = Vec::new();
        for tweet in tweets.into_values() {
            let Some(at) = tweet.created_at.as_deref().and_then(|t| t.parse::<jiff::Timestamp>().ok()) else {
                skip(&self.x.account, "X post", "no readable time", &mut skipped);
                continue;
            };
            let Some(author) = tweet.author_id.clone() else {
                skip(&self.x.account, "X post", "no author", &mut skipped);
                continue;
            };
            let root = tweet.conversation_id.clone().unwrap_or_else(|| tweet.id.clone());
            let thread = format!("{root}:{author}");
            // The post above the thread: the business's own post that started it.
            let post = tweet
                .referenced_tweets
                .iter()
                .filter(|r| r.kind == "replied_to" && r.id == root)
                .find_map(|r| referenced.get(&r.id))
                .filter(|t: &&Tweet| t.author_id.as_deref() == Some(me.as_str()))
                .and_then(|t| {
                    Some(PostRecord {
                        id: t.id.clone(),
                        text: t.text.clone(),
                        author: users.get(&me).and_then(|u: &User| u.username.clone()).map(|u| format!("@{u}")),
                        url: users.get(&me).and_then(|u: &User| u.username.clone()).map(|u| format!("https://x.com/{u}/status/{}", t.id)),
                        at: t.created_at.as_deref()?.parse().ok()?,
                    })
                });
            let entry = threads.entry(thread.clone()).or_insert(None);
            if entry.is_none() {
                *entry = post;
            }
            let ours = author == me;
            let user = users.get(&author);
            let name = user.and_then(|u| u.name.clone().or(u.username.clone()));
            messages.push(text_message(&self.x.account, thread, tweet.id, ours, name, Some(author), tweet.text, at));
        }
        let mut records: Vec<Record> = threads
            .into_iter()
            .map(|(conversation, post)| Record::PublicThread(PublicThreadRecord { account: self.x.account.clone(), conversation, post, hidden: vec![] }))
            .collect();
        records.append(&mut messages);
        Ok(Pulled { records, cursor: serde_json::to_string(&cursor).expect("a cursor serialises"), caught_up: true, skipped })
    }

    /// Reads a timeline (mentions, or search for `query`) from after `since` to its end; returns
    /// its newest id, if it had any post.
    async fn read(
        &self,
        url: &str,
        query: Option<&str>,
        since: Option<&str>,
        (tweets, users, referenced): (&mut BTreeMap<String, Tweet>, &mut HashMap<String, User>, &mut HashMap<String, Tweet>),
        skipped: &mut usize,
    ) -> Result<Option<String>, Error> {
        let (mut token, mut newest): (Option<String>, Option<String>) = (None, None);
        let token_name = if query.is_some() { "next_token" } else { "pagination_token" };
        loop {
            let mut params: Vec<(&str, String)> = vec![
                ("max_results", "100".into()),
                ("tweet.fields", TWEET_FIELDS.into()),
                ("expansions", "author_id,referenced_tweets.id,referenced_tweets.id.author_id".into()),
                ("user.fields", "username,name".into()),
            ];
            if let Some(q) = query {
                params.push(("query", q.to_owned()));
            }
            if let Some(s) = since {
                params.push(("since_id", s.to_owned()));
            }
            if let Some(t) = &token {
                params.push((token_name, t.clone()));
            }
            let page: Page = self.x.call(self.x.http.get(url).query(&params)).await?;
            let includes = page.includes.unwrap_or_default();
            users.extend(includes.users.into_iter().map(|u| (u.id.clone(), u)));
            for raw in includes.tweets {
                if let Ok(t) = serde_json::from_str::<Tweet>(raw.get()) {
                    referenced.insert(t.id.clone(), t);
                }
            }
            for raw in page.data {
                if let Some(t) = readable::<Tweet>(raw, &self.x.account, "X post", skipped) {
                    tweets.insert(t.id.clone(), t);
                }
            }
            let meta = page.meta;
            if let Some(id) = meta.as_ref().and_then(|m| m.newest_id.clone()) {
                if newest.as_deref().is_none_or(|n| newer(&id, n)) {
                    newest = Some(id);
                }
            }
            match meta.and_then(|m| m.next_token) {
                Some(next) => token = Some(next),
                None => return Ok(newest),
            }
        }
    }

    /// A public reply to the customer's post `to`; returns the new post's id.
    pub(crate) async fn reply(&self, to: &str, text: &str) -> Result<String, Error> {
        #[derive(Deserialize)]
        struct Created {
            data: CreatedPost,
        }
        #[derive(Deserialize)]
        struct CreatedPost {
            id: String,
        }
        let body = serde_json::json!({"text": text, "reply": {"in_reply_to_tweet_id": to}});
        let created: Created = self.x.call(self.x.http.post(format!("{}/tweets", self.x.base)).json(&body)).await?;
        Ok(created.data.id)
    }

    /// After a crash mid-send: the business's post with this text in reply to `to`.
    pub(crate) async fn find_reply(&self, to: &str, text: &str) -> Result<Option<String>, Error> {
        let me = self.x.me().await?.to_owned();
        let page: Page = self
            .x
            .call(self.x.http.get(format!("{}/users/{me}/tweets", self.x.base)).query(&[("max_results", "100"), ("tweet.fields", TWEET_FIELDS)]))
            .await?;
        Ok(page
            .data
            .into_iter()
            .filter_map(|raw| serde_json::from_str::<Tweet>(raw.get()).ok())
            .find(|t| t.text == text && t.referenced_tweets.iter().any(|r| r.kind == "replied_to" && r.id == to))
            .map(|t| t.id))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_order_as_numbers() {
        assert!(super::newer("1850000000000000010", "1850000000000000009"));
        assert!(super::newer("10", "9") && !super::newer("9", "10"));
    }
}
