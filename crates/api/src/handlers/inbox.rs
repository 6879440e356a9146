//! The inbox: a view's conversations a page at a time, which of some changed conversations a
//! view holds, and search over every message and note.

use crate::context::Context;
use crate::error::Result;
use serde::{Deserialize, Serialize};
use switchboard_core::model::{AuthorKind, Channel, ConversationStatus, Direction, InboxCursor, InboxFilter, InboxRow};
use switchboard_core::search::{SearchCursor, SearchHit, SearchQuery};
use ts_rs::TS;

/// A page of a view.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, TS)]
pub struct InboxQuery {
    #[serde(default)]
    pub view: InboxView,
    #[serde(default)]
    pub channel: Option<Channel>,
    #[serde(default)]
    pub status: Option<ConversationStatus>,
    #[serde(default)]
    pub tag: Option<String>,
    /// At most this many rows (default 50, at most 500).
    #[serde(default)]
    pub limit: Option<u32>,
    #[serde(default)]
    pub sort: InboxSort,
    /// Where this page starts: the `next` of the page before (none: the first page).
    #[serde(default)]
    pub after: Option<InboxCursor>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum InboxSort {
    /// Newest activity first.
    #[default]
    Recent,
    /// The next SLA breach first (breached ones first of all).
    NextBreach,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum InboxView {
    #[default]
    All,
    Mine,
    Unassigned,
    /// Public threads still owed an answer: open (triage solves thanks and passing mentions).
    NeedsReply,
}

/// A page of a view, and where the next starts (none: this is the last).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct InboxPage {
    pub rows: Vec<InboxRow>,
    pub next: Option<InboxCursor>,
}

/// Conversations that changed, as a view sees them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct RowsRequest {
    /// The view (its `after` and `limit` do not matter).
    #[serde(flatten)]
    pub query: InboxQuery,
    #[ts(type = "number[]")]
    pub ids: Vec<i64>,
}

/// Each conversation asked for that still exists, and the ones the view holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Rows {
    pub rows: Vec<InboxRow>,
    #[ts(type = "number[]")]
    pub in_view: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SearchRequest {
    pub text: String,
    #[serde(default)]
    pub channel: Option<Channel>,
    #[serde(default)]
    pub status: Option<ConversationStatus>,
    /// Where this page starts: the `next` of the page before (none: the first page).
    #[serde(default)]
    pub after: Option<SearchCursor>,
}

/// Hits best first (internal notes first of all, on the first page), and where the next page
/// starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SearchResults {
    pub hits: Vec<SearchHit>,
    pub next: Option<SearchCursor>,
}

/// Rows a page holds unless asked otherwise, and at most.
const PAGE: u32 = 50;
const MOST: u32 = 500;
/// Search hits a page holds.
const HITS: usize = 50;

fn filter(cx: &Context, q: &InboxQuery) -> InboxFilter {
    let needs_reply = q.view == InboxView::NeedsReply;
    InboxFilter {
        channel: q.channel,
        status: q.status.or(needs_reply.then_some(ConversationStatus::Open)),
        public: needs_reply.then_some(true),
        assignee: (q.view == InboxView::Mine).then(|| cx.me()),
        unassigned: q.view == InboxView::Unassigned,
        tag: q.tag.clone(),
        limit: q.limit.unwrap_or(PAGE).clamp(1, MOST) as usize,
        by_breach: q.sort == InboxSort::NextBreach,
        ..Default::default()
    }
}

pub(crate) fn inbox(cx: &Context, q: InboxQuery) -> Result<InboxPage> {
    let filter = filter(cx, &q);
    let page = cx.read(|s| s.inbox_page(&filter, q.after.as_ref()))?;
    Ok(InboxPage { rows: page.rows, next: page.next })
}

pub(crate) fn rows(cx: &Context, r: RowsRequest) -> Result<Rows> {
    let filter = filter(cx, &r.query);
    cx.read(|s| {
        let rows = s.inbox_rows(&r.ids, jiff::Timestamp::now())?;
        let in_view = s.in_view(&filter, &r.ids)?;
        Ok(Rows { rows, in_view })
    })
}

pub(crate) fn search(cx: &Context, r: SearchRequest) -> Result<SearchResults> {
    let query = SearchQuery { text: r.text, channel: r.channel, contact_id: None, status: r.status, since: None, until: None, limit: HITS };
    cx.read(|s| {
        // Internal notes first: few, and written by agents for agents.
        let mut hits: Vec<SearchHit> = Vec::new();
        if r.after.is_none() {
            hits.extend(s.search_notes(&query.text, query.channel, 20)?.into_iter().map(|(note, channel, customer)| SearchHit {
                message_id: note.id,
                conversation_id: note.conversation_id,
                channel,
                customer,
                direction: Direction::Out,
                author_kind: AuthorKind::Agent,
                author_name: note.author,
                at: note.at,
                text: note.text,
                note: true,
            }));
        }
        let page = s.search_page(&query, r.after.as_ref())?;
        hits.extend(page.hits);
        Ok(SearchResults { hits, next: page.next })
    })
}
