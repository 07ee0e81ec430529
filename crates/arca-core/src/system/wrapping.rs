//! `sys/wrapping/*`.

use super::*;

impl SystemBackend {
    pub(super) async fn wrapping_wrap(
        &self,
        req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        if req.wrap_ttl.is_none_or(|t| t.is_zero()) {
            return Err(Error::invalid(
                "wrapping requested but no wrap TTL specified: set the X-Vault-Wrap-TTL header",
            ));
        }
        if d.body().is_empty() {
            return Err(Error::invalid("empty request body"));
        }
        ok(d.body().clone())
    }

    pub(super) fn wrapping_token(req: &Request, d: &FieldData<'_>) -> Result<String> {
        let token = d.string("token")?;
        let token = if token.is_empty() {
            req.client_token.clone()
        } else {
            token
        };
        if token.is_empty() {
            return Err(Error::invalid("missing wrapping token"));
        }
        Ok(token)
    }

    pub(super) async fn wrapping_unwrap(
        &self,
        req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let core = self.core()?;
        let token = Self::wrapping_token(req, &d)?;
        let wrapped = core.unwrap(&token).await?;
        // The unwrapped envelope is returned as-is, as the body of this response.
        let body = serde_json::to_vec(&wrapped).map_err(Error::internal)?;
        Ok(Some(Response::raw(200, "application/json", body)))
    }

    pub(super) async fn wrapping_lookup(
        &self,
        req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let core = self.core()?;
        let token = Self::wrapping_token(req, &d)?;
        ok(core.wrapping_lookup(&token).await?)
    }

    pub(super) async fn wrapping_rewrap(
        &self,
        req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let core = self.core()?;
        let token = d.string("token")?;
        if token.is_empty() {
            return Err(Error::invalid("missing wrapping token"));
        }
        let creq = ClientRequest::new(
            Operation::Update,
            &format!("{}{}", req.mount_point, req.path),
        );
        let out = core.rewrap(&creq, &token).await?;
        let info = out
            .wrap_info
            .ok_or_else(|| Error::internal("rewrap produced no token"))?;
        Ok(Some(Response {
            issued_auth: None,
            data: None,
            raw: Some(arca_sdk::RawResponse {
                status: 200,
                content_type: "application/json".into(),
                body: serde_json::to_vec(&json!({
                    "request_id": req.id,
                    "lease_id": "",
                    "renewable": false,
                    "lease_duration": 0,
                    "data": null,
                    "wrap_info": info,
                    "warnings": null,
                    "auth": null,
                }))
                .map_err(Error::internal)?,
            }),
            ..Default::default()
        }))
    }
}
