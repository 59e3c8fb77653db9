"""The two roles of the back office, as groups the author gives to helpers.

"Editor" edits the site's content (pages, glossary, testimonials, images, documents,
menus, redirects) and sees no customer and no money. "Shop manager" sees the customers'
programs, the sales and the emails, acts on plans and uploads program files, but edits
no page. Wagtail's own "Editors" group becomes "Editor", keeping what it could do.

The lists are frozen here, as a migration must be; a later change of a role is a new
migration. Permissions are created when missing: on a new database Django only adds them
after the last migration."""

from django.db import migrations

ACCESS_ADMIN = ("wagtailadmin", "admin", "access_admin")
ALL = ("add", "change", "delete", "view")

EDITOR_MODEL_PERMISSIONS = [
    ACCESS_ADMIN,
    *[("home", model, action) for model in ("glossaryterm", "testimonial", "authorprofile",
                                            "trustbadge", "navigationitem") for action in ALL],
    *[("home", model, action) for model in ("sitesettings", "navigationsettings")
      for action in ("change", "view")],
    *[("wagtailredirects", "redirect", action) for action in ALL],
]
# Actions on pages, given on the root page: "add" and "change" are Django's own permissions.
EDITOR_PAGE_PERMISSIONS = ["add", "change", "publish_page", "lock_page"]
EDITOR_COLLECTION_PERMISSIONS = [
    ("wagtailimages", "image", codename)
    for codename in ("add", "change", "delete", "choose_image")
] + [
    ("wagtaildocs", "document", codename)
    for codename in ("add", "change", "delete", "choose_document")
]

SHOP_MANAGER_MODEL_PERMISSIONS = [
    ACCESS_ADMIN,
    *[
        ("billing", "installmentplan", action)
        for action in (
            "view",
            "refund_installment",
            "cancel_payments",
            "retry_payment",
            "resend_confirmation",
            "view_sales",
        )
    ],
    ("billing", "outgoingemail", "view"),
    *[("downloads", model, action) for model in ("programfile", "downloadlimit") for action in ALL],
    ("downloads", "downloadgrant", "view"),
    ("downloads", "downloadgrant", "change"),
    ("downloads", "downloadlog", "view"),
    ("communication", "communicationeventtype", "view"),
    ("communication", "communicationeventtype", "change"),
]


def permission_get(apps, app_label: str, model_name: str, action: str):
    """The permission ``action`` ("view", or a custom codename) on the model, created when
    Django has not made it yet."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    content_type, _ = ContentType.objects.get_or_create(app_label=app_label, model=model_name)
    if action in ALL:
        codename = f"{action}_{model_name}"
        meta = apps.get_model(app_label, model_name)._meta
        name = f"Can {action} {meta.verbose_name_raw}"
    else:
        codename = action
        custom = dict(apps.get_model(app_label, model_name)._meta.permissions)
        name = custom.get(codename, codename.replace("_", " ").capitalize())
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type, codename=codename, defaults={"name": name[:255]}
    )
    return permission


def roles_create(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Page = apps.get_model("wagtailcore", "Page")
    Collection = apps.get_model("wagtailcore", "Collection")
    GroupPagePermission = apps.get_model("wagtailcore", "GroupPagePermission")
    GroupCollectionPermission = apps.get_model("wagtailcore", "GroupCollectionPermission")

    editor = Group.objects.filter(name="Editor").first()
    if editor is None:
        editor = Group.objects.filter(name="Editors").first()
        if editor is not None:
            editor.name = "Editor"
            editor.save(update_fields=["name"])
        else:
            editor = Group.objects.create(name="Editor")
    editor.permissions.add(
        *[permission_get(apps, *entry) for entry in EDITOR_MODEL_PERMISSIONS]
    )
    root_page = Page.objects.filter(depth=1).first()
    if root_page is not None:
        for action in EDITOR_PAGE_PERMISSIONS:
            GroupPagePermission.objects.get_or_create(
                group=editor,
                page=root_page,
                permission=permission_get(apps, "wagtailcore", "page", action),
            )
    root_collection = Collection.objects.filter(depth=1).first()
    if root_collection is not None:
        for entry in EDITOR_COLLECTION_PERMISSIONS:
            GroupCollectionPermission.objects.get_or_create(
                group=editor,
                collection=root_collection,
                permission=permission_get(apps, *entry),
            )

    shop_manager, _ = Group.objects.get_or_create(name="Shop manager")
    shop_manager.permissions.add(
        *[permission_get(apps, *entry) for entry in SHOP_MANAGER_MODEL_PERMISSIONS]
    )


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("wagtailcore", "0098_apitoken"),
        ("wagtailadmin", "0006_formstate"),
        ("wagtailimages", "0027_image_description"),
        ("wagtaildocs", "0014_alter_document_file_size"),
        ("wagtailredirects", "0008_add_verbose_name_plural"),
        ("communication", "0004_auto_20200801_0817"),
        ("home", "0005_article_glossary_terms_block"),
        ("billing", "0011_sales_permission"),
        ("downloads", "0004_program_file_facts_plays_positions"),
    ]

    # Going back leaves the groups: people may have been put in them since.
    operations = [migrations.RunPython(roles_create, migrations.RunPython.noop)]
