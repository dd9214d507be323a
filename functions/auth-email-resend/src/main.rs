use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let deps = shared::app::cold_start::<auth_email_resend::Deps>(env!("CARGO_CRATE_NAME")).await?;
    let identity = &deps.identity;
    shared::http::run(move |req| auth_email_resend::handle(req, identity)).await
}
