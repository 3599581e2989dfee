//! After the decision: the consortium agreement, finalisation or lapse, the payment
//! schedule, claims and payments, milestones, the project's status, and the public list of
//! funded projects. As JSON, and as the follow-up page of a decided application with the
//! forms of each party (the lead, the partners, the officers).

mod api;
mod pages;

pub use api::api;
pub use pages::pages;
