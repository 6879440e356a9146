//! Comments under a Facebook Page's posts and an Instagram account's media, through the Graph
//! API with the Page token. Each pull lists the newest posts and, for each, the comments since
//! the last pull (Facebook: `filter=stream`, replies included with `parent`; Instagram: top-level
//! comments with their replies nested). A top-level comment and its replies are one public
//! thread, under its post; the business's own comments are its replies. Calls share the Page's
//! pace with its inboxes (see `graph`).

use crate::wire::{readable, skip, text_message, Pulled, Raw};
use crate::error::Error;
use crate::graph::{parse_time, Edge, Graph};
use crate::walk::OVERLAP;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use switchboard_core::interchange::{HiddenRecord, PostRecord, PublicThreadRecord, Record};
use switchboard_core::model::Channel;

/// Posts whose comments each pull reads: the newest, where conversation happens.
const POSTS: usize = 25;
const FACEBOOK_FIELDS: &str = "id,message,created_time,from,comment_count,parent,is_hidden,can_reply_privately,attachment";
const INSTAGRAM_FIELDS: &str = "id,text,timestamp,username,from{id,username},like_count,hidden,parent_id,replies{id,text,timestamp,username,from{id,username},hidden,parent_id}";

pub struct Comments {
    graph: Graph,
    instagram: bool,
}

/// Every comment written before this (Unix seconds, less the overlap) is stored.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Cursor {
    since: i64,
}

#[derive(Deserialize)]
struct Post {
    id: String,
    /// Facebook's text; Instagram's is `caption`.
    message: Option<String>,
    caption: Option<String>,
    created_time: Option<String>,
    timestamp: Option<String>,
    permalink_url: Option<String>,
    permalink: Option<String>,
}

#[derive(Deserialize)]
struct From {
    id: String,
    name: Option<String>,
    username: Option<String>,
}

#[derive(Deserialize)]
struct Comment {
    id: String,
    message: Option<String>,
    text: Option<String>,
    created_time: Option<String>,
    timestamp: Option<String>,
    from: Option<From>,
    username: Option<String>,
    parent: Option<Parent>,
    parent_id: Option<String>,
    #[serde(default)]
    is_hidden: bool,
    #[serde(default)]
    hidden: bool,
    replies: Option<Edge<Raw>>,
}

#[derive(Deserialize)]
struct Parent {
    id: String,
}

impl Comments {
    pub(crate) fn new(graph: Graph, channel: Channel) -> Comments {
        Comments { graph, instagram: channel == Channel::Instagram }
    }

    fn platform(&self) -> &'static str {
        if self.instagram { "Instagram" } else { "Facebook" }
    }

    pub(crate) async fn pull(&self, cursor: Option<&str>) -> Result<Pulled, Error> {
        let cursor: Cursor = match cursor {
            Some(c) => serde_json::from_str(c).map_err(|_| Error::Malformed("stored comments cursor is unreadable".into()))?,
            None => Cursor::default(),
        };
        let from = cursor.since - OVERLAP;
        let business = self.graph.business().await?.to_owned();
        let posts: Edge<Raw> = if self.instagram {
            let url = format!("{}/{business}/media", self.graph.base);
            self.graph.call(self.graph.http.get(url).query(&[("fields", "id,caption,comments_count,timestamp,permalink"), ("limit", &POSTS.to_string())])).await?
        } else {
            let url = format!("{}/{}/feed", self.graph.base, self.graph.page);
            self.graph.call(self.graph.http.get(url).query(&[("fields", "id,message,created_time,permalink_url"), ("limit", &POSTS.to_string())])).await?
        };
        let (mut threads, mut messages, mut hidden) = (BTreeMap::new(), Vec::new(), Vec::new());
        let (mut skipped, mut newest) = (0, cursor.since);
        for raw in posts.data {
            let Some(post) = readable::<Post>(raw, &self.graph.account, "post", &mut skipped) else { continue };
            let Some(posted) = post.created_time.as_deref().or(post.timestamp.as_deref()).and_then(parse_time) else {
                skip(&self.graph.account, "post", "no readable time", &mut skipped);
                continue;
            };
            let record = PostRecord {
                id: post.id.clone(),
                text: post.message.or(post.caption).unwrap_or_default(),
                author: None,
                url: post.permalink_url.or(post.permalink),
                at: posted,
            };
            for comment in self.comments_of(&post.id, from, &mut skipped).await? {
                let Some(at) = comment.created_time.as_deref().or(comment.timestamp.as_deref()).and_then(parse_time) else {
                    skip(&self.graph.account, "comment", "no readable time", &mut skipped);
                    continue;
                };
                if at.as_second() < from {
                    continue;
                }
                newest = newest.max(at.as_second());
                let thread = comment.parent.as_ref().map(|p| p.id.clone()).or(comment.parent_id.clone()).unwrap_or_else(|| comment.id.clone());
                threads.entry(thread.clone()).or_insert_with(|| record.clone());
                let (author_id, name) = match &comment.from {
                    Some(f) => (Some(f.id.clone()), f.name.clone().or(f.username.clone())),
                    None => (None, comment.username.clone()),
                };
                let ours = author_id.as_deref() == Some(business.as_str());
                if comment.is_hidden || comment.hidden {
                    let reason = format!("hidden on {}", self.platform());
                    hidden.push((thread.clone(), HiddenRecord { message: comment.id.clone(), reason, at: None }));
                }
                let text = comment.message.or(comment.text).unwrap_or_default();
                messages.push(text_message(&self.graph.account, thread, comment.id, ours, name, author_id, text, at));
            }
        }
        // Threads first, so every message lands in a conversation already public (triage
        // looks at that); what is hidden after, when its messages are stored.
        let mut records: Vec<Record> = threads
            .iter()
            .map(|(thread, post)| {
                Record::PublicThread(PublicThreadRecord { account: self.graph.account.clone(), conversation: thread.clone(), post: Some(post.clone()), hidden: vec![] })
            })
            .collect();
        records.append(&mut messages);
        let mut by_thread: BTreeMap<String, Vec<HiddenRecord>> = BTreeMap::new();
        for (thread, h) in hidden {
            by_thread.entry(thread).or_default().push(h);
        }
        records.extend(by_thread.into_iter().map(|(thread, hidden)| {
            Record::PublicThread(PublicThreadRecord { account: self.graph.account.clone(), conversation: thread, post: None, hidden })
        }));
        let cursor = serde_json::to_string(&Cursor { since: newest }).expect("a cursor serialises");
        Ok(Pulled { records, cursor, caught_up: true, skipped })
    }

    /// A post's comments written from `from` on (Unix seconds), replies included, newest first.
    async fn comments_of(&self, post: &str, from: i64, skipped: &mut usize) -> Result<Vec<Comment>, Error> {
        let mut request = if self.instagram {
            self.graph.http.get(format!("{}/{post}/comments", self.graph.base)).query(&[("fields", INSTAGRAM_FIELDS), ("limit", "50")])
        } else {
            let since = from.max(0).to_string();
            self.graph.http.get(format!("{}/{post}/comments", self.graph.base)).query(&[
                ("fields", FACEBOOK_FIELDS),
                ("filter", "stream"),
                ("order", "reverse_chronological"),
                ("since", since.as_str()),
                ("summary", "true"),
                ("limit", "100"),
            ])
        };
        let mut out = Vec::new();
        loop {
            let page: Edge<Raw> = self.graph.call(request).await?;
            let mut older = true;
            for raw in page.data {
                let Some(mut comment) = readable::<Comment>(raw, &self.graph.account, "comment", skipped) else { continue };
                let at = comment.created_time.as_deref().or(comment.timestamp.as_deref()).and_then(parse_time).map_or(0, |t| t.as_second());
                // Instagram nests replies: a new reply can sit under an old comment.
                for raw in comment.replies.take().map(|r| r.data).unwrap_or_default() {
                    if let Some(mut reply) = readable::<Comment>(raw, &self.graph.account, "comment", skipped) {
                        reply.parent_id.get_or_insert_with(|| comment.id.clone());
                        let reply_at = reply.timestamp.as_deref().or(reply.created_time.as_deref()).and_then(parse_time).map_or(0, |t| t.as_second());
                        older &= reply_at < from;
                        out.push(reply);
                    }
                }
                older &= at < from;
                out.push(comment);
            }
            // Newest first: a page entirely older than the mark ends the walk.
            match page.paging.and_then(|p| p.next) {
                Some(next) if !older => request = self.graph.http.get(self.graph.follow(&next)?),
                _ => return Ok(out),
            }
        }
    }

    /// A public answer in the comment's thread; returns the new comment's id.
    pub(crate) async fn reply(&self, comment: &str, text: &str) -> Result<String, Error> {
        #[derive(Deserialize)]
        struct Created {
            id: String,
        }
        let url = self.node(comment, if self.instagram { "replies" } else { "comments" })?;
        let created: Created = self.graph.call(self.graph.http.post(url).form(&[("message", text)])).await?;
        Ok(created.id)
    }

    /// Hides a comment from everyone but its author (never deletes it).
    pub(crate) async fn hide(&self, comment: &str) -> Result<String, Error> {
        #[derive(Deserialize)]
        struct Done {
            success: bool,
        }
        let flag = if self.instagram { "hide" } else { "is_hidden" };
        let done: Done = self.graph.call(self.graph.http.post(self.node(comment, "")?).form(&[(flag, "true")])).await?;
        if !done.success {
            return Err(Error::Refused(format!("{} did not hide the comment", self.platform())));
        }
        Ok(format!("hidden:{comment}"))
    }

    /// After a crash mid-send: the business's reply with this text in the comment's thread.
    pub(crate) async fn find_reply(&self, comment: &str, text: &str, since: jiff::Timestamp) -> Result<Option<String>, Error> {
        let business = self.graph.business().await?.to_owned();
        let replies: Vec<Comment> = if self.instagram {
            let page: Edge<Comment> = self.graph.call(self.graph.http.get(self.node(comment, "replies")?).query(&[("fields", INSTAGRAM_FIELDS)])).await?;
            page.data
        } else {
            // A Facebook comment "<post>_<comment>" is under the Page's post "<page>_<post>".
            let post = format!("{}_{}", self.graph.page, comment.split('_').next().unwrap_or(comment));
            let mut skipped = 0;
            self.comments_of(&post, since.as_second() - OVERLAP, &mut skipped).await?
        };
        Ok(replies
            .into_iter()
            .find(|r| {
                let parent = r.parent.as_ref().map(|p| p.id.as_str()).or(r.parent_id.as_deref());
                let by_us = r.from.as_ref().is_some_and(|f| f.id == business);
                by_us && (self.instagram || parent == Some(comment)) && r.message.as_deref().or(r.text.as_deref()) == Some(text)
            })
            .map(|r| r.id))
    }

    /// `{base}/{id}/{edge}`, the id escaped as a path segment (it comes from the store).
    fn node(&self, id: &str, edge: &str) -> Result<reqwest::Url, Error> {
        let config = |problem: &str| Error::Config { account: self.graph.account.clone(), problem: problem.to_owned() };
        let mut url = reqwest::Url::parse(&self.graph.base).map_err(|e| config(&format!("base URL: {e}")))?;
        {
            let mut segments = url.path_segments_mut().map_err(|_| config("base URL cannot take a path"))?;
            segments.pop_if_empty().push(id);
            if !edge.is_empty() {
                segments.push(edge);
            }
        }
        Ok(url)
    }
}
