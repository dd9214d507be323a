use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let deps = shared::app::cold_start::<web::Deps>(env!("CARGO_CRATE_NAME")).await?;
    shared::http::run(move |req| web::handle(req, deps)).await
}
