use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let deps = shared::app::cold_start::<admin_crm_replay::Deps>(env!("CARGO_CRATE_NAME")).await?;
    shared::http::run(move |req| admin_crm_replay::handle(req, deps)).await
}
