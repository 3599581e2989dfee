//! What pages share: the frame of every page ([`chrome::Chrome`]), rendering and error pages,
//! strings in two languages, formatting, and the server-side pictures (maps, charts).

pub mod charts;
pub mod chrome;
pub mod format;
pub mod i18n;
pub mod map;
pub mod picker;
pub mod render;
