//! fixture placeholder
