//! The workspace model: files, env files and their indexes.

pub mod envfile;
pub mod envindex;
pub mod fs;
pub mod index;
pub mod model;
pub mod paths;
pub mod root;
pub mod tsconfig;
pub mod walk;
pub mod watch;
