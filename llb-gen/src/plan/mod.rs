//! Phase 2: a validated plan. Names are resolved, args interpolated, defaults applied, and every
//! value keeps the span it came from. Recipes and lowering read only this.

mod apt;
mod build;
mod copy;
mod graph;
mod image;
mod language;
mod outline;
mod run;
mod source;
mod stage;
mod types;
mod user;

pub use build::build;
pub use outline::{ArgInfo, Outline, TargetInfo};
pub use types::{
    ArgPlan, Base, Carry, ImageSettings, LanguagePlan, Plan, RunPlan, StagePlan, UserSetting, under,
};
