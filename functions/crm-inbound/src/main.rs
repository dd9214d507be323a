// The workers' futures (Zoho client, store, appliers) nest deeper than the default limit.
#![recursion_limit = "256"]

use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init(env!("CARGO_CRATE_NAME"));
    let crm = shared::crm::Crm::from_env().await?;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<_>| {
        crm_inbound::handle(event, crm)
    }))
    .await
}
