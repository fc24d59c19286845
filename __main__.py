"""Multi-region LLM inference platform on Google Cloud: validate the stack's config, build, export."""

from inference import composition
from inference.configuration import stack

composition.export(composition.build(stack.load()))
