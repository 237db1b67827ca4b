//! The live terminal UI. Everything here reads engine state and draws it; nothing here
//! computes statistics. The modules below are the building blocks the panes are made of.

pub mod app;
pub mod keymap;
pub mod rows;
pub mod run;
pub mod terminal;
pub mod theme;
pub mod views;
pub mod widgets;
