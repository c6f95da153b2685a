//! `wasi:http/types`, the resources the plan does not govern: fields, requests, responses
//! and request options go straight to wasmtime-wasi-http. Implemented as its own
//! generated `Host*` traits on [`HttpView`], so a change in the WIT fails to compile here;
//! the resources with readiness (a response to come, the bodies' streams) are
//! `http_types.rs`'s.

use super::HttpView;
use wasmtime::component::Resource;
use wasmtime_wasi_http::FieldMap;
use wasmtime_wasi_http::p2::bindings::http::types::{self, Method, Scheme, StatusCode};
use wasmtime_wasi_http::p2::body::{HostIncomingBody, HostOutgoingBody};
use wasmtime_wasi_http::p2::types::{
    HostIncomingRequest, HostIncomingResponse, HostOutgoingRequest, HostOutgoingResponse,
    HostResponseOutparam,
};
use wasmtime_wasi_http::p2::{HeaderError, HeaderResult, HttpError, HttpResult};

impl types::Host for HttpView<'_> {
    fn convert_error_code(&mut self, err: HttpError) -> wasmtime::Result<types::ErrorCode> {
        types::Host::convert_error_code(&mut self.inner, err)
    }

    fn convert_header_error(&mut self, err: HeaderError) -> wasmtime::Result<types::HeaderError> {
        types::Host::convert_header_error(&mut self.inner, err)
    }

    fn http_error_code(
        &mut self,
        err: wasmtime::component::Resource<types::IoError>,
    ) -> wasmtime::Result<Option<types::ErrorCode>> {
        types::Host::http_error_code(&mut self.inner, err)
    }
}

/// What a trap of a fields call says: wasmtime-wasi-http traps when a guest's fields pass
/// its bound on their total size (`total size of fields exceeds limit`), as it does under
/// `wasmtime serve`; the trap names the bound.
const FIELDS_LIMIT: &str = "the guest's header fields went past wasmtime-wasi-http's bound \
    on their total size (128 KiB, `WasiHttpCtx::set_field_size_limit`): wasmtime traps \
    there too";

/// A fields call's answer, a trap naming the bound.
fn named<T>(result: HeaderResult<T>) -> HeaderResult<T> {
    result.map_err(|error| match error.downcast() {
        Ok(code) => code.into(),
        Err(trap) if format!("{trap:#}").contains("total size of fields") => {
            HeaderError::trap(trap.context(FIELDS_LIMIT))
        }
        Err(trap) => HeaderError::trap(trap),
    })
}

impl types::HostFields for HttpView<'_> {
    fn new(&mut self) -> wasmtime::Result<Resource<FieldMap>> {
        types::HostFields::new(&mut self.inner)
    }

    fn from_list(&mut self, entries: Vec<(String, Vec<u8>)>) -> HeaderResult<Resource<FieldMap>> {
        named(types::HostFields::from_list(&mut self.inner, entries))
    }

    fn drop(&mut self, fields: Resource<FieldMap>) -> wasmtime::Result<()> {
        types::HostFields::drop(&mut self.inner, fields)
    }

    fn get(&mut self, fields: Resource<FieldMap>, name: String) -> wasmtime::Result<Vec<Vec<u8>>> {
        types::HostFields::get(&mut self.inner, fields, name)
    }

    fn has(&mut self, fields: Resource<FieldMap>, name: String) -> wasmtime::Result<bool> {
        types::HostFields::has(&mut self.inner, fields, name)
    }

    fn set(
        &mut self,
        fields: Resource<FieldMap>,
        name: String,
        values: Vec<Vec<u8>>,
    ) -> HeaderResult<()> {
        named(types::HostFields::set(
            &mut self.inner,
            fields,
            name,
            values,
        ))
    }

    fn delete(&mut self, fields: Resource<FieldMap>, name: String) -> HeaderResult<()> {
        types::HostFields::delete(&mut self.inner, fields, name)
    }

    fn append(
        &mut self,
        fields: Resource<FieldMap>,
        name: String,
        value: Vec<u8>,
    ) -> HeaderResult<()> {
        named(types::HostFields::append(
            &mut self.inner,
            fields,
            name,
            value,
        ))
    }

    fn entries(&mut self, fields: Resource<FieldMap>) -> wasmtime::Result<Vec<(String, Vec<u8>)>> {
        types::HostFields::entries(&mut self.inner, fields)
    }

    fn clone(&mut self, fields: Resource<FieldMap>) -> wasmtime::Result<Resource<FieldMap>> {
        types::HostFields::clone(&mut self.inner, fields)
    }
}

impl types::HostIncomingRequest for HttpView<'_> {
    fn method(&mut self, id: Resource<HostIncomingRequest>) -> wasmtime::Result<Method> {
        types::HostIncomingRequest::method(&mut self.inner, id)
    }

    fn path_with_query(
        &mut self,
        id: Resource<HostIncomingRequest>,
    ) -> wasmtime::Result<Option<String>> {
        types::HostIncomingRequest::path_with_query(&mut self.inner, id)
    }

    fn scheme(&mut self, id: Resource<HostIncomingRequest>) -> wasmtime::Result<Option<Scheme>> {
        types::HostIncomingRequest::scheme(&mut self.inner, id)
    }

    fn authority(&mut self, id: Resource<HostIncomingRequest>) -> wasmtime::Result<Option<String>> {
        types::HostIncomingRequest::authority(&mut self.inner, id)
    }

    fn headers(
        &mut self,
        id: Resource<HostIncomingRequest>,
    ) -> wasmtime::Result<Resource<FieldMap>> {
        types::HostIncomingRequest::headers(&mut self.inner, id)
    }

    fn consume(
        &mut self,
        id: Resource<HostIncomingRequest>,
    ) -> wasmtime::Result<Result<Resource<HostIncomingBody>, ()>> {
        types::HostIncomingRequest::consume(&mut self.inner, id)
    }

    fn drop(&mut self, id: Resource<HostIncomingRequest>) -> wasmtime::Result<()> {
        types::HostIncomingRequest::drop(&mut self.inner, id)
    }
}

impl types::HostOutgoingRequest for HttpView<'_> {
    fn new(
        &mut self,
        headers: Resource<FieldMap>,
    ) -> wasmtime::Result<Resource<HostOutgoingRequest>> {
        types::HostOutgoingRequest::new(&mut self.inner, headers)
    }

    fn body(
        &mut self,
        request: Resource<HostOutgoingRequest>,
    ) -> wasmtime::Result<Result<Resource<HostOutgoingBody>, ()>> {
        let rep = request.rep();
        let result = types::HostOutgoingRequest::body(&mut self.inner, request)?;
        if let Ok(body) = &result {
            self.run.bodies().body(rep, body.rep());
        }
        Ok(result)
    }

    fn drop(&mut self, request: Resource<HostOutgoingRequest>) -> wasmtime::Result<()> {
        types::HostOutgoingRequest::drop(&mut self.inner, request)
    }

    fn method(
        &mut self,
        request: wasmtime::component::Resource<types::OutgoingRequest>,
    ) -> wasmtime::Result<Method> {
        types::HostOutgoingRequest::method(&mut self.inner, request)
    }

    fn set_method(
        &mut self,
        request: wasmtime::component::Resource<types::OutgoingRequest>,
        method: Method,
    ) -> wasmtime::Result<Result<(), ()>> {
        types::HostOutgoingRequest::set_method(&mut self.inner, request, method)
    }

    fn path_with_query(
        &mut self,
        request: wasmtime::component::Resource<types::OutgoingRequest>,
    ) -> wasmtime::Result<Option<String>> {
        types::HostOutgoingRequest::path_with_query(&mut self.inner, request)
    }

    fn set_path_with_query(
        &mut self,
        request: wasmtime::component::Resource<types::OutgoingRequest>,
        path_with_query: Option<String>,
    ) -> wasmtime::Result<Result<(), ()>> {
        types::HostOutgoingRequest::set_path_with_query(&mut self.inner, request, path_with_query)
    }

    fn scheme(
        &mut self,
        request: wasmtime::component::Resource<types::OutgoingRequest>,
    ) -> wasmtime::Result<Option<Scheme>> {
        types::HostOutgoingRequest::scheme(&mut self.inner, request)
    }

    fn set_scheme(
        &mut self,
        request: wasmtime::component::Resource<types::OutgoingRequest>,
        scheme: Option<Scheme>,
    ) -> wasmtime::Result<Result<(), ()>> {
        types::HostOutgoingRequest::set_scheme(&mut self.inner, request, scheme)
    }

    fn authority(
        &mut self,
        request: wasmtime::component::Resource<types::OutgoingRequest>,
    ) -> wasmtime::Result<Option<String>> {
        types::HostOutgoingRequest::authority(&mut self.inner, request)
    }

    fn set_authority(
        &mut self,
        request: wasmtime::component::Resource<types::OutgoingRequest>,
        authority: Option<String>,
    ) -> wasmtime::Result<Result<(), ()>> {
        types::HostOutgoingRequest::set_authority(&mut self.inner, request, authority)
    }

    fn headers(
        &mut self,
        request: wasmtime::component::Resource<types::OutgoingRequest>,
    ) -> wasmtime::Result<wasmtime::component::Resource<FieldMap>> {
        types::HostOutgoingRequest::headers(&mut self.inner, request)
    }
}

impl types::HostResponseOutparam for HttpView<'_> {
    fn drop(&mut self, id: Resource<HostResponseOutparam>) -> wasmtime::Result<()> {
        types::HostResponseOutparam::drop(&mut self.inner, id)
    }

    fn set(
        &mut self,
        id: Resource<HostResponseOutparam>,
        resp: Result<Resource<HostOutgoingResponse>, types::ErrorCode>,
    ) -> wasmtime::Result<()> {
        types::HostResponseOutparam::set(&mut self.inner, id, resp)
    }

    fn send_informational(
        &mut self,
        id: Resource<HostResponseOutparam>,
        status: u16,
        headers: Resource<FieldMap>,
    ) -> HttpResult<()> {
        types::HostResponseOutparam::send_informational(&mut self.inner, id, status, headers)
    }
}

impl types::HostIncomingResponse for HttpView<'_> {
    fn drop(&mut self, response: Resource<HostIncomingResponse>) -> wasmtime::Result<()> {
        types::HostIncomingResponse::drop(&mut self.inner, response)
    }

    fn status(&mut self, response: Resource<HostIncomingResponse>) -> wasmtime::Result<StatusCode> {
        types::HostIncomingResponse::status(&mut self.inner, response)
    }

    fn headers(
        &mut self,
        response: Resource<HostIncomingResponse>,
    ) -> wasmtime::Result<Resource<FieldMap>> {
        types::HostIncomingResponse::headers(&mut self.inner, response)
    }

    fn consume(
        &mut self,
        response: Resource<HostIncomingResponse>,
    ) -> wasmtime::Result<Result<Resource<HostIncomingBody>, ()>> {
        types::HostIncomingResponse::consume(&mut self.inner, response)
    }
}

impl types::HostOutgoingResponse for HttpView<'_> {
    fn new(
        &mut self,
        headers: Resource<FieldMap>,
    ) -> wasmtime::Result<Resource<HostOutgoingResponse>> {
        types::HostOutgoingResponse::new(&mut self.inner, headers)
    }

    fn body(
        &mut self,
        id: Resource<HostOutgoingResponse>,
    ) -> wasmtime::Result<Result<Resource<HostOutgoingBody>, ()>> {
        types::HostOutgoingResponse::body(&mut self.inner, id)
    }

    fn status_code(
        &mut self,
        id: Resource<HostOutgoingResponse>,
    ) -> wasmtime::Result<types::StatusCode> {
        types::HostOutgoingResponse::status_code(&mut self.inner, id)
    }

    fn set_status_code(
        &mut self,
        id: Resource<HostOutgoingResponse>,
        status: types::StatusCode,
    ) -> wasmtime::Result<Result<(), ()>> {
        types::HostOutgoingResponse::set_status_code(&mut self.inner, id, status)
    }

    fn headers(
        &mut self,
        id: Resource<HostOutgoingResponse>,
    ) -> wasmtime::Result<Resource<FieldMap>> {
        types::HostOutgoingResponse::headers(&mut self.inner, id)
    }

    fn drop(&mut self, id: Resource<HostOutgoingResponse>) -> wasmtime::Result<()> {
        types::HostOutgoingResponse::drop(&mut self.inner, id)
    }
}

impl types::HostRequestOptions for HttpView<'_> {
    fn new(&mut self) -> wasmtime::Result<Resource<types::RequestOptions>> {
        types::HostRequestOptions::new(&mut self.inner)
    }

    fn connect_timeout(
        &mut self,
        opts: Resource<types::RequestOptions>,
    ) -> wasmtime::Result<Option<types::Duration>> {
        types::HostRequestOptions::connect_timeout(&mut self.inner, opts)
    }

    fn set_connect_timeout(
        &mut self,
        opts: Resource<types::RequestOptions>,
        duration: Option<types::Duration>,
    ) -> wasmtime::Result<Result<(), ()>> {
        types::HostRequestOptions::set_connect_timeout(&mut self.inner, opts, duration)
    }

    fn first_byte_timeout(
        &mut self,
        opts: Resource<types::RequestOptions>,
    ) -> wasmtime::Result<Option<types::Duration>> {
        types::HostRequestOptions::first_byte_timeout(&mut self.inner, opts)
    }

    fn set_first_byte_timeout(
        &mut self,
        opts: Resource<types::RequestOptions>,
        duration: Option<types::Duration>,
    ) -> wasmtime::Result<Result<(), ()>> {
        types::HostRequestOptions::set_first_byte_timeout(&mut self.inner, opts, duration)
    }

    fn between_bytes_timeout(
        &mut self,
        opts: Resource<types::RequestOptions>,
    ) -> wasmtime::Result<Option<types::Duration>> {
        types::HostRequestOptions::between_bytes_timeout(&mut self.inner, opts)
    }

    fn set_between_bytes_timeout(
        &mut self,
        opts: Resource<types::RequestOptions>,
        duration: Option<types::Duration>,
    ) -> wasmtime::Result<Result<(), ()>> {
        types::HostRequestOptions::set_between_bytes_timeout(&mut self.inner, opts, duration)
    }

    fn drop(&mut self, rep: Resource<types::RequestOptions>) -> wasmtime::Result<()> {
        types::HostRequestOptions::drop(&mut self.inner, rep)
    }
}
