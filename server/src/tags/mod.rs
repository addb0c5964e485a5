//! Tags: the registry of known names and the scanner that finds tags in
//! comment text.

pub mod registry;
pub mod scan;

pub use registry::{Family, Registry, Severity, TagDef};
pub use scan::{ContinuationLine, Tag};
