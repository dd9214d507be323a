use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let deps = shared::app::cold_start::<users_invite::Deps>(env!("CARGO_CRATE_NAME")).await?;
    let identity = &deps.identity;
    shared::http::run(move |req| users_invite::handle(req, identity)).await
}
