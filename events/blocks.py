from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.images.blocks import ImageBlock


class QuestionsBlock(blocks.StructBlock):
    heading = blocks.CharBlock(label=_("Heading"), default=_("Guiding questions"), max_length=120)
    questions = blocks.ListBlock(blocks.CharBlock(max_length=500, label=_("Question")), label=_("Questions"))

    class Meta:
        icon = "help"
        label = _("Guiding questions")
        template = "events/blocks/questions.html"


class QuoteBlock(blocks.StructBlock):
    text = blocks.TextBlock(label=_("Quotation"))
    source = blocks.CharBlock(label=_("Source"), required=False, max_length=200)

    class Meta:
        icon = "openquote"
        label = _("Quote")
        template = "events/blocks/quote.html"


class BodyBlock(blocks.StreamBlock):
    heading = blocks.CharBlock(
        max_length=120, form_classname="title", template="events/blocks/heading.html", icon="title"
    )
    paragraph = blocks.RichTextBlock(features=["bold", "italic", "link", "ol", "ul"])
    questions = QuestionsBlock()
    quote = QuoteBlock()
    image = ImageBlock()


class PresenterBlock(blocks.StructBlock):
    name = blocks.CharBlock(label=_("Name"), max_length=200)
    credentials = blocks.CharBlock(
        label=_("Credentials"), required=False, max_length=200, help_text=_("For example: PhD, LCSW")
    )
    bio = blocks.TextBlock(label=_("Biography"), required=False)

    class Meta:
        icon = "user"
        label = _("Presenter")
        template = "events/blocks/presenter.html"
