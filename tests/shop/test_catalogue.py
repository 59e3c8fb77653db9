"""The store lists its products from the database: Haystack's simple backend would list none.
A shop of one product opens that product's page instead."""

from decimal import Decimal

import pytest
from oscar.core.loading import get_model
from oscar.test.factories import CategoryFactory, create_product

from tests.shop.factories import ProgramFactory

ProductCategory = get_model("catalogue", "ProductCategory")

pytestmark = pytest.mark.django_db


def products(count, *, category=None, prefix="Program"):
    made = []
    for number in range(count):
        product = create_product(
            title=f"{prefix} {number:02d}", price=Decimal("10.00"), num_in_stock=None
        )
        if category is not None:
            ProductCategory.objects.create(product=product, category=category)
        made.append(product)
    return made


def test_the_catalogue_lists_public_products_and_hides_the_rest(client):
    program = ProgramFactory(title="Get Free from That Back Pain")
    (workbook,) = products(1, prefix="Workbook")
    hidden = create_product(title="Draft Workbook", price=Decimal("5.00"), is_public=False)

    response = client.get("/shop/catalogue/")

    assert response.status_code == 200
    html = response.content.decode()
    assert program.get_title() in html
    assert program.get_absolute_url() in html
    assert hidden.get_title() not in html
    assert list(response.context["products"]) == [program, workbook]
    assert response.context["paginator"].count == 2
    assert "All products" in html


@pytest.mark.parametrize("path", ["/shop/", "/shop/catalogue/"])
def test_a_shop_of_one_program_opens_its_page(client, path):
    program = ProgramFactory(title="Get Free from That Back Pain")
    create_product(title="Draft Workbook", price=Decimal("5.00"), is_public=False)

    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == program.get_absolute_url()
    assert client.get(response["Location"]).status_code == 200


def test_the_store_link_lists_the_products_once_there_are_more(client):
    program = ProgramFactory(title="Get Free from That Back Pain")
    (workbook,) = products(1, prefix="Workbook")

    front = client.get("/shop/")
    assert front.status_code == 302 and front["Location"] == "/shop/catalogue/"
    listed = client.get("/shop/catalogue/")
    assert listed.status_code == 200
    assert list(listed.context["products"]) == [program, workbook]


def test_a_category_of_one_product_still_lists_it(client):
    programs = CategoryFactory(name="Programs")
    (only,) = products(1, category=programs)
    response = client.get(programs.get_absolute_url())
    assert response.status_code == 200
    assert list(response.context["products"]) == [only]


def test_the_list_shows_each_full_title_and_no_placeholder_picture(client, settings):
    ProgramFactory(title="Get Free from That Back Pain: The Complete Somatic Program")
    products(1, prefix="Workbook")
    html = client.get("/shop/catalogue/").content.decode()
    assert "Get Free from That Back Pain: The Complete Somatic Program</a>" in html
    assert "\u2026" not in html and "&hellip;" not in html
    assert settings.OSCAR_MISSING_IMAGE_URL not in html
    # A program starts from its page, where its terms are; it has no basket button here.
    assert "Free for 14 days, then $98.50 every 4 weeks" in html


def test_variants_are_not_listed_on_their_own(client):
    parent = create_product(title="Program", structure="parent")
    create_product(title="Program, large print", parent=parent, structure="child")
    (other,) = products(1, prefix="Workbook")

    listed = list(client.get("/shop/catalogue/").context["products"])

    assert listed == [parent, other]


def test_products_are_listed_by_title_a_page_at_a_time(client, settings):
    products(3, prefix="B")
    products(2, prefix="A")

    first = client.get("/shop/catalogue/")
    titles = [product.title for product in first.context["products"]]

    per_page = settings.OSCAR_PRODUCTS_PER_PAGE
    assert titles == sorted(titles)[:per_page]
    assert titles[0] == "A 00"


def test_a_page_past_the_end_goes_back_to_the_first(client):
    products(2)
    response = client.get("/shop/catalogue/?page=9")
    assert response.status_code == 302
    assert response["Location"] == "/shop/catalogue/"


def test_a_category_lists_its_products_and_those_of_its_subcategories(client):
    programs = CategoryFactory(name="Programs")
    follow_ups = programs.add_child(name="Follow-ups")
    other = CategoryFactory(name="Books")
    (in_programs,) = products(1, category=programs, prefix="Main")
    (in_follow_ups,) = products(1, category=follow_ups, prefix="Next")
    (in_books,) = products(1, category=other, prefix="Book")

    response = client.get(programs.get_absolute_url())

    assert response.status_code == 200
    assert response.context["category"] == programs
    assert list(response.context["products"]) == [in_programs, in_follow_ups]
    html = response.content.decode()
    assert in_programs.get_title() in html
    assert in_books.get_title() not in html


def test_a_hidden_category_is_not_found(client):
    hidden = CategoryFactory(name="Hidden", is_public=False)
    assert client.get(hidden.get_absolute_url()).status_code == 404


def test_a_category_under_an_old_address_redirects(client):
    programs = CategoryFactory(name="Programs")
    response = client.get(f"/shop/catalogue/category/old-name_{programs.pk}/")
    assert response.status_code == 301
    assert response["Location"] == programs.get_absolute_url()


@pytest.mark.parametrize("page", ["catalogue", "category"])
def test_listing_more_products_costs_no_more_queries(
    client, django_assert_max_num_queries, settings, page
):
    category = CategoryFactory(name="Programs")
    url = category.get_absolute_url() if page == "category" else "/shop/catalogue/"
    products(3, category=category)
    client.get(url)  # the first visit fills what every page shares (session, basket)
    with django_assert_max_num_queries(100) as with_three:
        assert len(client.get(url).context["products"]) == 3
    three = len(with_three.captured_queries)

    products(27, category=category, prefix="More")
    # New products change the content, so the site's header and footer (kept per process
    # until then) are read again once: that visit is not the one measured.
    client.get(url)
    with django_assert_max_num_queries(three):
        response = client.get(url)

    assert len(response.context["products"]) == settings.OSCAR_PRODUCTS_PER_PAGE
    assert response.context["paginator"].count == 30


def test_text_search_still_works(client):
    ProgramFactory(title="Get Free from That Back Pain")
    response = client.get("/shop/search/", {"q": "Back Pain"})
    assert response.status_code == 200
    assert "Get Free from That Back Pain" in response.content.decode()
