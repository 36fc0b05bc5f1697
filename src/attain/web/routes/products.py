"""Product priorities: each product's priority tier in force and its differentiators."""

from __future__ import annotations

from typing import Any

from fastapi.responses import HTMLResponse, RedirectResponse, Response

from attain.access import Resource, check_writer
from attain.web import deps, management, view_models
from attain.web.deps import ApiUser, AppDb, CurrentPage, ListParams, Services, page_forms, routers
from attain.web.rendering import form_model, text
from attain.web.schemas import Page, Product

pages, api = routers("products")
forms = page_forms()
writes = deps.api_writes("products")


@pages.get("/products", response_class=HTMLResponse)
def products_page(page: CurrentPage, services: Services, engine: AppDb) -> Response:
    data = management.products_view(services, engine, page.user)
    return page.render("products.html", data=data, page="products")


@forms.post("/products/{product_id}")
async def set_product_priority(
    page: CurrentPage, services: Services, engine: AppDb, product_id: str
) -> Response:
    form, user = await page.request.form(), page.user
    view_models.scope(services, user, Resource.PRODUCTS)
    check_writer(user, Resource.PRODUCTS)
    asked = form_model(
        management.PriorityIn,
        tier=text(form, "tier"),
        differentiators=text(form, "differentiators"),
    )
    management.set_priority_view(services, engine, user, product_id, asked)
    return RedirectResponse(f"/products#product-{product_id}", status_code=303)


@api.get(
    "/products",
    response_model=Page[Product],
    summary="Products with their priority tier in force and differentiators",
)
def products(services: Services, engine: AppDb, user: ApiUser, listing: ListParams) -> Any:
    data = management.products_view(services, engine, user)
    return listing.answer(data["products"], "products")


@writes.put(
    "/products/{product_id}",
    summary="Set a product's priority tier and differentiators (admins and managers)",
)
def set_product_priority_api(
    services: Services, engine: AppDb, user: ApiUser, product_id: str, body: management.PriorityIn
) -> Product:
    return Product.model_validate(
        management.set_priority_view(services, engine, user, product_id, body)
    )
