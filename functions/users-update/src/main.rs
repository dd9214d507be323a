use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let deps = shared::app::cold_start::<users_update::Deps>(env!("CARGO_CRATE_NAME")).await?;
    let identity = &deps.identity;
    shared::http::run(move |req| users_update::handle(req, identity)).await
}
