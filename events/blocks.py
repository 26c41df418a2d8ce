from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.images.blocks import ImageBlock


class QuestionsBlock(blocks.StructBlock):
    heading = blocks.CharBlock(default=_("Guiding questions"), max_length=120)
    questions = blocks.ListBlock(blocks.CharBlock(max_length=500))

    class Meta:
        icon = "help"
        template = "events/blocks/questions.html"


class QuoteBlock(blocks.StructBlock):
    text = blocks.TextBlock()
    source = blocks.CharBlock(required=False, max_length=200)

    class Meta:
        icon = "openquote"
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
    name = blocks.CharBlock(max_length=200)
    credentials = blocks.CharBlock(required=False, max_length=200, help_text=_("For example: PhD, LCSW"))
    bio = blocks.TextBlock(required=False)

    class Meta:
        icon = "user"
        template = "events/blocks/presenter.html"
