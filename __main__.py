"""Multi-region LLM inference platform on Google Cloud: validate the stack's config, build, export."""

from stacks import config, platform

platform.export(platform.build(config.load()))
