//! The one integration-test binary (faster to link than one per file).

mod util;

mod bad_input;
mod decoder_props;
mod output;
mod real_data;
mod synthetic;
