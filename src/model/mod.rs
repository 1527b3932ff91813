//! Pure types and parsers. No I/O, no tokio, no redis.

pub mod info;
mod intern;
pub mod node_id;
pub mod nodes;
pub mod slots;
pub mod view;

pub use node_id::NodeId;
pub use nodes::{EntryData, NodeEntry, NodeFlags};
pub use slots::{SLOT_COUNT, SlotRange, SlotSet, key_slot};
