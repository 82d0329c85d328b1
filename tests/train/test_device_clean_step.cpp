// test_device_clean_step.cpp — a whole training step (forward, loss, backward, global gradient
// norm, AdamW with clipping, interventions included) performs no host read of device-resident
// memory. Run under PretendDeviceMemory: every tensor the model, optimizer and step allocate counts
// as device memory, and any host read of one (data<T>() outside a kernel, item(), to_vector(),
// copies to the host) is counted. On a GPU such a read is a hidden synchronising copy.
#include "autograd/functions.h"
#include "model/interventions.h"
#include "tensor/ops.h"
#include "tensor/rng.h"
#include "tests/support/testing.h"
#include "train/trainer.h"

namespace induction::testing {

namespace {

struct PretendDeviceRun {
    PretendDeviceMemory device;  // declared first: everything below is "device" memory
    TrainConfig config;
    Transformer model;
    std::vector<AdamWParameter> trainable;
    AdamW optimizer;
    Tensor batch;

    static TrainConfig small_config() {
        TrainConfig c;
        c.model = small_model_config();
        c.model.attn_only = false;
        c.batch_size = 3;
        c.context = 12;
        c.steps = 10;
        c.grad_clip = 0.05;  // small, so clipping happens
        return c;
    }
    static std::vector<AdamWParameter> trainable_of(Transformer& model) {
        std::vector<AdamWParameter> list;
        for (const NamedParameter& p : model.parameters())
            if (p.var->requires_grad()) list.push_back({p.var, p.weight_decay});
        return list;
    }

    explicit PretendDeviceRun(const Tensor& host_batch)
        : config(small_config()), model(make_transformer(config.model, 7)), trainable(trainable_of(model)),
          optimizer(trainable, config.adam), batch(host_batch.clone()) {}  // clone: the upload
};

int64_t host_reads() { return host_reads_of_device_memory().count; }

}  // namespace

TEST(DeviceCleanStep, ATrainingStepReadsNothingOnTheHost) {
    Tensor host_batch = Rng(3).randint({3, 12}, 0, 23);
    PretendDeviceRun run(host_batch);
    ASSERT_TRUE(run.batch.device_resident());
    ASSERT_TRUE(run.trainable[0].var->value().device_resident());
    int64_t before = host_reads();
    StepTensors first{}, second{};
    for (int64_t step = 0; step < 3; ++step)
        (step == 0 ? first : second) = train_step_on_device(run.model, run.optimizer, run.trainable, run.batch,
                                                              run.config, step);
    EXPECT_EQ(host_reads() - before, 0) << "the latest host read: " << host_reads_of_device_memory().last;
    EXPECT_TRUE(first.loss.device_resident());
    EXPECT_TRUE(second.grad_norm.device_resident());

    // The counter does count: reading the loss is one host read, and the step did train.
    double loss = first.loss.item();
    EXPECT_EQ(host_reads() - before, 1);
    EXPECT_EQ(host_reads_of_device_memory().last, "to_vector() of f32[]");
    EXPECT_LT(second.loss.item(), loss);
}

TEST(DeviceCleanStep, InterventionsBuildTheirMasksOnTheDevice) {
    Tensor host_batch = Rng(4).randint({3, 12}, 0, 23);
    PretendDeviceRun run(host_batch);
    Interventions interventions;
    interventions.scale(Site::Z, 0, 1, 0.0).scale(Site::Z, 1, Interventions::ALL_HEADS, 0.5, 2, 7)
        .scale(Site::PATTERN, 1, 3, 2.0, 0, 5);
    int64_t before = host_reads();
    Var logits = forward(run.model, run.batch, &interventions);
    backward(mean(reshape(next_token_losses(logits, run.batch), {3 * 11}), 0));
    EXPECT_EQ(host_reads() - before, 0) << "the latest host read: " << host_reads_of_device_memory().last;
}

TEST(DeviceCleanStep, HostCodeCannotReadDeviceMemory) {
    Tensor t;
    {
        PretendDeviceMemory device;
        t = Tensor::full({2, 3}, 1.5);
    }
    int64_t before = host_reads();
    (void)t.data<float>();                 // a typed pointer outside a kernel
    (void)t.to_vector();                   // an explicit copy
    Tensor host = Tensor::empty({2, 3});
    host.copy_from(t);                     // a download
    EXPECT_EQ(host_reads() - before, 3);
    (void)scale(t, 2);                     // inside a kernel: not a host read
    EXPECT_EQ(host_reads() - before, 3);
    Tensor plain = Tensor::full({2}, 1.0);  // allocated outside the scope: host memory
    (void)plain.data<float>();
    EXPECT_EQ(host_reads() - before, 3);
}

}  // namespace induction::testing
