use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let deps = shared::app::cold_start::<auth_login::Deps>(env!("CARGO_CRATE_NAME")).await?;
    let identity = &deps.identity;
    shared::http::run(move |req| auth_login::handle(req, identity)).await
}
