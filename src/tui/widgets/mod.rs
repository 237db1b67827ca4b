//! Reusable widgets that draw plain data.
