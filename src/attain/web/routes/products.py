"""Product priorities: each product's priority tier in force and its differentiators."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from attain.access import Resource, check_writer
from attain.web import management, view_models
from attain.web.auth import checked_api_csrf, checked_csrf
from attain.web.deps import ApiUser, AppDb, ListParams, PageUser, Services
from attain.web.rendering import form_model, render, text

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["products"])


@pages.get("/products", response_class=HTMLResponse)
def products_page(request: Request, services: Services, engine: AppDb, user: PageUser) -> Response:
    data = management.products_view(services, engine, user)
    return render(request, "products.html", user, data=data, page="products")


@pages.post(
    "/products/{product_id}", response_class=HTMLResponse, dependencies=[Depends(checked_csrf)]
)
async def set_product_priority(
    request: Request, services: Services, engine: AppDb, user: PageUser, product_id: str
) -> Response:
    form = await request.form()
    view_models.scope(services, user, Resource.PRODUCTS)
    check_writer(user, Resource.PRODUCTS)
    asked = form_model(
        management.PriorityIn,
        tier=text(form, "tier"),
        differentiators=text(form, "differentiators"),
    )
    management.set_priority_view(services, engine, user, product_id, asked)
    return RedirectResponse(f"/products#product-{product_id}", status_code=303)


@api.get("/products", summary="Products with their priority tier in force and differentiators")
def products(services: Services, engine: AppDb, user: ApiUser, listing: ListParams) -> Any:
    data = management.products_view(services, engine, user)
    return listing.answer(data["products"], "products")


@api.put(
    "/products/{product_id}",
    summary="Set a product's priority tier and differentiators (admins and managers)",
    dependencies=[Depends(checked_api_csrf)],
)
def set_product_priority_api(
    services: Services, engine: AppDb, user: ApiUser, product_id: str, body: management.PriorityIn
) -> dict[str, Any]:
    return management.set_priority_view(services, engine, user, product_id, body)
