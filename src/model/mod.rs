//! Pure types and parsers. No I/O, no tokio, no redis.

pub mod info;
pub mod node_id;
pub mod nodes;
pub mod slots;
pub mod view;

pub use node_id::NodeId;
pub use nodes::{NodeEntry, NodeFlags};
pub use slots::{SLOT_COUNT, SlotRange, SlotSet, key_slot};
