//! Presentation shared by every output bound for a person: the one sanitiser for text that
//! came from outside ([`sanitize`]), the one writer every headless text output goes
//! through ([`terminal`]), JSON that cannot carry terminal controls raw ([`json`]), and
//! the formatting of numbers, durations and money ([`format`]).

pub mod format;
pub mod json;
pub mod sanitize;
pub mod terminal;
