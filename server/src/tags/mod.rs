//! Tags: the registry of known names, the scanner that finds tags in
//! comment text, and the due dates tags may carry.

pub mod due;
pub mod registry;
pub mod scan;

pub use due::{Due, Overdue, overdue};
pub use registry::{Family, Registry, Severity, TagDef};
pub use scan::{ContinuationLine, Tag};
