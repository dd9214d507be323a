use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let deps = shared::app::cold_start::<not_found::Deps>(env!("CARGO_CRATE_NAME")).await?;
    shared::http::run(move |req| not_found::handle(req, deps)).await
}
