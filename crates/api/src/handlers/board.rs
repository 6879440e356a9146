//! The supervisor's board.

use crate::context::Context;
use crate::error::Result;
use serde::{Deserialize, Serialize};
use switchboard_core::store::Board;
use ts_rs::TS;

/// Queues per agent and channel, breaching soon, breached, oldest waiting, the last hour's volume.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct BoardRequest {}

pub(crate) fn board(cx: &Context, _: BoardRequest) -> Result<Board> {
    cx.read(|s| s.board(jiff::Timestamp::now()))
}
