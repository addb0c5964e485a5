//! The real editors, headless: VS Code (code-server in Chromium), Neovim
//! 0.11 and 0.7, Helix in tmux. One test binary.

#[path = "support/nvim.rs"]
mod nvim_support;

#[path = "editors_plugin.rs"]
mod editors_plugin;
#[path = "helix.rs"]
mod helix;
#[path = "nvim.rs"]
mod nvim;
#[path = "vscode.rs"]
mod vscode;
