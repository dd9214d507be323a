// The workers' futures (Zoho client, store, appliers) nest deeper than the default limit.
#![recursion_limit = "256"]

use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let crm = shared::app::cold_start::<shared::crm::Crm>(env!("CARGO_CRATE_NAME")).await?;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<_>| {
        crm_reconcile::handle(event, crm)
    }))
    .await
}
